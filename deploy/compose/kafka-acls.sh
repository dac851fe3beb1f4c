#!/bin/sh
# Grants each service's principal what it needs and nothing more (the same rules as the
# devstack's broker, ADR 0010, and the KafkaUsers of deploy/k8s): WRITE on its own topic
# <service>.events and its dead-letter topic <service>-service.dlt, READ on the topics it
# consumes (its events/handlers.py subscription table; evaluation also its own topic, for
# python -m evaluation_service.rebuild), READ on its group <service>-service; CREATE and
# DESCRIBE on those topics, as each service makes its topics at start-up. Idempotent.
set -eu

ADMIN=/tmp/admin.properties
cat > "$ADMIN" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka/secrets/ca.pem
PROPERTIES

acl() {
  principal=$1
  shift
  /opt/kafka/bin/kafka-acls.sh --bootstrap-server kafka:9092 --command-config "$ADMIN" --add \
    --allow-principal "User:$principal" "$@" >/dev/null
}

grant() {
  service=$1
  shift
  acl "$service" --topic "$service.events" --topic "$service-service.dlt" \
    --operation Write --operation Create --operation Describe
  for producer in "$@"; do
    acl "$service" --topic "$producer.events" --operation Read --operation Create --operation Describe
  done
  acl "$service" --group "$service-service" --operation Read
}

grant proposal assignment evaluation
grant assignment proposal evaluation
grant evaluation proposal assignment evaluation
grant notification proposal assignment evaluation
grant gateway
echo "ACLs granted"
