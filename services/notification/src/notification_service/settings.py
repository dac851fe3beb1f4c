from datetime import time

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    service_name: str = "notification"
    database_url: str = "sqlite+aiosqlite:///./notification.db"
    # Live updates: a connected stream also polls the database this often, so notifications
    # written by another replica reach it too (local ones wake it at once).
    stream_poll_interval_s: float = Field(default=1.0, gt=0)
    stream_heartbeat_s: float = Field(default=15.0, gt=0)

    # Reminders (a cosign deadline tomorrow, a rating window closing): the scheduler looks for due
    # ones this often; each is written once whatever the interval.
    reminder_poll_interval_s: float = Field(default=60.0, gt=0)
    reminders_enabled: bool = True

    # The daily digests of staff and supervising leaders (domain/supervision.py): written on working
    # days at this local time (or the first scan after it), once per recipient and day.
    daily_digest_at: time = time(8, 30)
    daily_digests_enabled: bool = True

    # Quiet hours are read in this zone (the bodies' default, DESIGN section 5).
    timezone: str = "Asia/Shanghai"
    # A body's SMS quiet hours unless it set its own (PUT /notifications/bodies/{id}/quiet-hours):
    # no SMS between these times except an overdue escalation (issue 12). The same time twice: none.
    sms_quiet_start: time = time(22, 0)
    sms_quiet_end: time = time(8, 0)

    # E-mail (SMTP). Without smtp_host no e-mail sender runs: deliveries wait until one does.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    mail_from: str = "提案办理平台 <noreply@localhost>"
    # SMS through a provider's HTTP API (domain/sms.py, ADR 25); without a URL SMS deliveries wait.
    sms_gateway_url: str | None = None
    sms_access_key_id: str | None = None
    sms_access_key_secret: SecretStr | None = None
    # The signature (签名) registered with the provider, shown as 【…】 before every text.
    sms_sign_name: str = "提案办理平台"
    # Template name (a notification kind, or "digest": domain/sms.py TEMPLATES) -> the code the
    # provider gave it when it was registered; a name not listed is sent as its own code.
    sms_template_codes: dict[str, str] = Field(default_factory=dict)
    sms_timeout_s: float = Field(default=10.0, gt=0)
    # The sender loops: how many rows one replica claims at a time, for how long (the lease
    # must exceed smtp_timeout_s, or a slow send could be taken over and sent twice).
    delivery_batch_size: int = Field(default=20, ge=1)
    delivery_lease_s: float = Field(default=120.0, gt=0)
    delivery_poll_interval_s: float = Field(default=1.0, gt=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    # At most this many e-mails (and, separately, SMS) to one recipient in any hour; the rest wait
    # for the hour to pass (0: no cap). An overdue escalation counts but is never held back.
    delivery_rate_cap_per_hour: int = Field(default=30, ge=0)
    # Digests instead of floods: an e-mail, SMS or push waits this long after its notification was
    # written, then goes out as one message with every other pending one of the same kind to the
    # same recipient on the same channel (100 assignments to a unit in a burst: one message).
    # 0 sends at once, still merging whatever is pending then.
    digest_window_s: float = Field(default=60.0, ge=0)
    # A digest carries at most this many rows; more make another message.
    digest_max_items: int = Field(default=500, ge=1)
    delivery_backoff_base_s: float = Field(default=30.0, gt=0)
    delivery_backoff_max_s: float = Field(default=3600.0, gt=0)
    # Web Push (VAPID, RFC 8292): the service's P-256 private key (PEM, or the raw key in base64url)
    # and the contact it names to push services (mailto: or https:). Without a key no push sender
    # runs and the members' app cannot subscribe.
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:noreply@localhost"
    push_timeout_s: float = Field(default=10.0, gt=0)
    # How long a push service keeps a message for a browser that is offline.
    push_ttl_s: int = Field(default=86400, ge=0)
    # Push endpoints on loopback or private addresses are refused, as webhook URLs are (tests lift it).
    push_allow_private_targets: bool = False
    # Webhooks: each POST waits this long; a failure is retried like e-mail, with the same back-off.
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    # Webhook URLs may not reach loopback, private, link-local or other non-public addresses
    # (the service must not become a way into the internal network); tests and on-premises
    # receivers on a private network turn this on.
    webhook_allow_private_targets: bool = False
