# Inside the test container, on its loopback: what stands in for AWS around the instance.
#   moto server (127.0.0.1:5000): S3, Secrets Manager and IMDS (/latest/api/token and
#     /latest/meta-data/iam/security-credentials/ are moto's own; it answers them without
#     checking the token, and every role is "default-role")
#   PostgreSQL 15 with TLS (a certificate for the RDS endpoint name), as RDS; left out with
#     --no-database, where the instance has no database to reach (only the cloud role has one)
# then uploads the build and creates the secrets (moto-fixtures.py). Run as root.
# usage: sh stand-ins.sh [--no-database] VENV FIXTURES
set -eu
database=1
if [ "$1" = --no-database ]; then database=0 && shift; fi
venv=$1 fixtures=$2
nohup "$venv/bin/moto_server" -H 127.0.0.1 -p 5000 >/tmp/moto.log 2>&1 &

if [ "$database" = 1 ]; then
  pg=/tmp/pg
  install -d -o postgres -g postgres -m 0700 "$pg" "$pg/tls"
  install -o postgres -g postgres -m 0644 "$fixtures/db.crt" "$pg/tls/db.crt"
  install -o postgres -g postgres -m 0600 "$fixtures/db.key" "$pg/tls/db.key"
  bin=/usr/lib/postgresql/15/bin
  runuser -u postgres -- "$bin/initdb" --no-sync -D "$pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  cat >>"$pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = 5432
unix_socket_directories = '$pg'
ssl = on
ssl_cert_file = '$pg/tls/db.crt'
ssl_key_file = '$pg/tls/db.key'
CONF
  # TLS only over TCP, as RDS with rds.force_ssl
  printf 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n' >"$pg/data/pg_hba.conf"
  runuser -u postgres -- "$bin/pg_ctl" -w -D "$pg/data" -l "$pg/log" start >/dev/null
  user=$(cat "$fixtures/db-user") name=$(cat "$fixtures/db-name") password=$(cat "$fixtures/db-password")
  runuser -u postgres -- psql -h "$pg" -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE \"$user\" LOGIN PASSWORD '$password'" -c "CREATE DATABASE \"$name\" OWNER \"$user\""
fi

tries=0
until curl -s -o /dev/null http://127.0.0.1:5000/moto-api/; do
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { cat /tmp/moto.log >&2; exit 1; }
  sleep 0.1
done
"$venv/bin/python" "$fixtures/moto-fixtures.py" "$fixtures"
