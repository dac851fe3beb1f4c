# syntax=docker/dockerfile:1
# The built web clients as static files: the members' app at /m/ and the staff console at
# /console/, everything else passed to the gateway (service "gateway", port 8000).
# Build from the repository root once the clients are built (npm run build in clients/,
# which makes clients/member/dist and clients/console/dist):
#   docker build -f deploy/docker/web.Dockerfile -t proposal-platform/web .
# Until clients/ exists (a later issue) this image cannot be built; the rest can.
# nginx-unprivileged runs as uid 101 on port 8080 and writes only under /tmp (pid, temp
# files), so the root filesystem may be read-only with a tmpfs or emptyDir at /tmp.

FROM nginxinc/nginx-unprivileged:1.28.0-alpine
COPY deploy/docker/web.nginx.conf /etc/nginx/conf.d/default.conf
COPY clients/member/dist /usr/share/nginx/html/m
COPY clients/console/dist /usr/share/nginx/html/console
USER 101
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=5s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
