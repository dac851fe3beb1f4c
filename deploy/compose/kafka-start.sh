#!/bin/sh
# The single Kafka node of deploy/compose.yaml: KRaft (broker and controller in one process),
# clients on SASL_SSL with SCRAM-SHA-512, the StandardAuthorizer with no access unless an ACL
# grants it (kafka-acls.sh sets them), topics never auto-created. On first start it makes a
# self-signed certificate for the name "kafka" (its key stays in the kafka-data volume; the
# certificate alone goes to the kafka-tls volume, as ca.pem, which the services trust) and
# formats the storage with every principal's SCRAM credentials.
# The controller and inter-broker listeners are PLAINTEXT on localhost only: nothing outside
# this container reaches them.
set -eu

CONFIG=/tmp/server.properties
# /etc/kafka/secrets and /var/lib/kafka/data exist in the image, writable by its user, so the
# named volumes mounted there are too.
TLS=/etc/kafka/secrets
KEYSTORE=/var/lib/kafka/data/broker.p12
DATA=/var/lib/kafka/data/logs

if [ ! -f "$KEYSTORE" ]; then
  keytool -genkeypair -alias kafka -keyalg RSA -keysize 3072 -validity 825 \
    -dname "CN=kafka" -ext "SAN=dns:kafka" -ext "BC=ca:true" \
    -keystore "$KEYSTORE" -storetype PKCS12 -storepass "$KAFKA_TLS_STORE_PASSWORD"
fi
keytool -exportcert -rfc -alias kafka -keystore "$KEYSTORE" \
  -storepass "$KAFKA_TLS_STORE_PASSWORD" -file "$TLS/ca.pem"

cat > "$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL_SSL://:9092,CONTROLLER://localhost:9093,INTERNAL://localhost:9094
advertised.listeners=SASL_SSL://kafka:9092,INTERNAL://localhost:9094
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$KEYSTORE
ssl.keystore.password=$KAFKA_TLS_STORE_PASSWORD
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:ANONYMOUS
auto.create.topics.enable=false
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.dirs=$DATA
# The event topics are the history the evaluation rebuild replays: kept for ever on one host
# (docs/operations.md, Backups).
log.retention.ms=-1
PROPERTIES

if [ ! -f "$DATA/meta.properties" ]; then
  scram() { printf 'SCRAM-SHA-512=[name=%s,password=%s]' "$1" "$2"; }
  /opt/kafka/bin/kafka-storage.sh format --config "$CONFIG" --cluster-id "$KAFKA_CLUSTER_ID" \
    --add-scram "$(scram admin "$KAFKA_ADMIN_PASSWORD")" \
    --add-scram "$(scram proposal "$PROPOSAL_KAFKA_PASSWORD")" \
    --add-scram "$(scram assignment "$ASSIGNMENT_KAFKA_PASSWORD")" \
    --add-scram "$(scram evaluation "$EVALUATION_KAFKA_PASSWORD")" \
    --add-scram "$(scram notification "$NOTIFICATION_KAFKA_PASSWORD")" \
    --add-scram "$(scram gateway "$GATEWAY_KAFKA_PASSWORD")"
fi

exec /opt/kafka/bin/kafka-server-start.sh "$CONFIG"
