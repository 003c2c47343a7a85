# The start-up script's functions (POSIX sh). renderStartupScript puts this text after the
# instance's settings and before its steps. Every line on stdout is one JSON object (cloud-init
# copies stdout to the console log); apt's and tar's chatter goes to stderr.

STEP=begin
STARTED=$(date +%s)
FAILED=

json_escape() {
  printf '%s' "$1" | tr '\n\t\r' '   ' | sed 's/\\/\\\\/g; s/"/\\"/g'
}

# log EVENT [RAW_JSON_FIELDS]
log() {
  printf '{"time":"%s","source":"multiclaw-lab-startup","host":"%s","role":"%s","step":"%s","event":"%s"%s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HOST_ID" "$ROLE" "$STEP" "$1" "${2:+,$2}"
}

# fail CODE MESSAGE: one JSON error line, then exit 1
fail() {
  FAILED=1
  log error "\"code\":\"$1\",\"message\":\"$(json_escape "$2")\""
  exit 1
}

on_exit() {
  status=$?
  if [ "$status" -ne 0 ] && [ -z "$FAILED" ]; then
    log error "\"code\":\"step.failed\",\"message\":\"step $STEP stopped with exit status $status; stderr above says why\""
  fi
}
trap on_exit EXIT

step() {
  STEP=$1
  log step.begin
}

sha256_of() {
  sha256sum "$1" | cut -d' ' -f1
}

# ensure_packages PACKAGE...: installs only those dpkg does not report installed
ensure_packages() {
  missing=
  for package in "$@"; do
    state=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$state" = installed ] || missing="$missing $package"
  done
  if [ -z "$missing" ]; then
    log packages.present "\"packages\":\"$*\""
    return
  fi
  log packages.install "\"missing\":\"${missing# }\""
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # one word per package
  { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; } >&2 ||
    fail packages.install "apt-get could not install:$missing (is a Debian mirror reachable?)"
}

IMDS=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}
IMDS=${IMDS%/}
AWS_KEY=
AWS_SECRET=
AWS_TOKEN=

# The instance role's credentials, from IMDSv2 (kept in shell variables, never exported or logged).
role_credentials() {
  [ -n "$AWS_KEY" ] && return
  imds_token=$(curl -sS -f -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token") ||
    fail imds.token "no IMDSv2 token from $IMDS/latest/api/token"
  role_name=$(curl -sS -f -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS/latest/meta-data/iam/security-credentials/" | head -n 1) ||
    fail imds.role "no instance role at $IMDS/latest/meta-data/iam/security-credentials/ (does the instance have a profile?)"
  credentials=$(curl -sS -f -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS/latest/meta-data/iam/security-credentials/$role_name") ||
    fail imds.credentials "no credentials for role $role_name from IMDS"
  AWS_KEY=$(json_field AccessKeyId)
  AWS_SECRET=$(json_field SecretAccessKey)
  AWS_TOKEN=$(json_field Token)
  [ -n "$AWS_KEY" ] && [ -n "$AWS_SECRET" ] || fail imds.credentials "the credentials of role $role_name lack AccessKeyId or SecretAccessKey"
  log credentials.ready "\"role\":\"$(json_escape "$role_name")\""
}

json_field() {
  printf '%s\n' "$credentials" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1
}

# s3_url KEY: path style against an endpoint override (moto), virtual-hosted style on AWS
s3_url() {
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
    printf '%s/%s/%s' "${AWS_ENDPOINT_URL%/}" "$BUCKET" "$1"
  else
    printf 'https://%s.s3.%s.amazonaws.com/%s' "$BUCKET" "$REGION" "$1"
  fi
}

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# fetch_s3 KEY FILE: a SigV4-signed GET. The key and token reach curl through its config on
# stdin (-K -), not its arguments, which any process may read. curl 7.88 signs
# x-amz-content-sha256 only when given: S3 requires it.
fetch_s3() {
  role_credentials
  url=$(s3_url "$1")
  printf 'user = "%s:%s"\nheader = "x-amz-security-token: %s"\n' "$AWS_KEY" "$AWS_SECRET" "$AWS_TOKEN" |
    curl -sS -f --retry 5 --retry-connrefused --aws-sigv4 "aws:amz:$REGION:s3" \
      -H "x-amz-content-sha256: $EMPTY_SHA256" -K - -o "$2" "$url" ||
    fail artifact.download "could not download s3://$BUCKET/$1 ($url)"
}

# verify FILE EXPECTED_SHA256 WHAT
verify() {
  actual=$(sha256_of "$1")
  if [ "$actual" != "$2" ]; then
    rm -f "$1"
    fail artifact.checksum "$3 (s3://$BUCKET/$4) has SHA-256 $actual, the script expects $2: upload the build this script was made for"
  fi
}

# write_file PATH MODE OWNER: stdin to PATH when it differs; CHANGED=1 when it did
write_file() {
  tmp="$1.new"
  cat >"$tmp"
  chmod "$2" "$tmp"
  chown "$3" "$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
    rm -f "$tmp"
  else
    mv -f "$tmp" "$1"
    CHANGED=1
  fi
}

# ensure_deb PACKAGE EVENT URL SHA256 WHAT: PACKAGE from its .deb at URL when dpkg does not report
# it installed (checked against SHA256 unless that is empty); logs EVENT.present or EVENT.installed
ensure_deb() {
  state=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)
  if [ "$state" = installed ]; then
    log "$2.present" "\"version\":\"$(dpkg-query -W -f='${Version}' "$1")\""
    return
  fi
  deb="$DOWNLOADS/$1.deb"
  install -d -m 0755 "$DOWNLOADS"
  curl -sS -f --retry 5 --retry-connrefused -o "$deb" "$3" ||
    fail "$2.download" "could not download $5 from $3"
  actual=$(sha256_of "$deb")
  if [ -n "$4" ] && [ "$actual" != "$4" ]; then
    rm -f "$deb"
    fail "$2.checksum" "$5 from $3 has SHA-256 $actual, the script expects $4"
  fi
  dpkg -i "$deb" >&2 || fail "$2.install" "dpkg could not install $5 from $3 (stderr above says why)"
  rm -f "$deb"
  log "$2.installed" "\"url\":\"$(json_escape "$3")\",\"version\":\"$(dpkg-query -W -f='${Version}' "$1")\""
}

# ensure_ssm_agent URL [SHA256]: the Systems Manager agent, the aws driver's only way into an
# instance (Debian's AMIs do not carry it), installed when missing, then enabled and started by systemd.
ensure_ssm_agent() {
  ensure_deb amazon-ssm-agent ssm-agent "$1" "${2:-}" "the SSM agent"
  if [ -d /run/systemd/system ]; then
    systemctl enable --now amazon-ssm-agent.service >&2 || fail ssm-agent.start "systemd could not start amazon-ssm-agent.service"
    log ssm-agent.started '"manager":"systemd"'
  else
    # the agent registers the machine it runs on as the instance: never outside an instance's systemd
    log ssm-agent.fallback '"reason":"systemd is not PID 1 (a container): the agent is installed, not started"'
  fi
}

# ensure_cloudwatch_agent URL [SHA256]: the Amazon CloudWatch agent, which ships the services' log
# files to CloudWatch Logs (Debian's AMIs do not carry it), installed when missing.
ensure_cloudwatch_agent() {
  ensure_deb amazon-cloudwatch-agent cloudwatch-agent "$1" "${2:-}" "the CloudWatch agent"
}

CLOUDWATCH_AGENT_CTL=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl

# start_cloudwatch_agent CONFIG CHANGED LOG_GROUP: loads CONFIG and (re)starts the agent under systemd
# when CONFIG changed or the agent is not running; in a container only says so.
start_cloudwatch_agent() {
  if [ ! -d /run/systemd/system ]; then
    # -m ec2 takes the instance's identity and credentials from IMDS: only on an instance's systemd
    log cloudwatch-agent.fallback "\"config\":\"$1\",\"reason\":\"systemd is not PID 1 (a container): the agent is installed and configured, not started\""
    return
  fi
  if [ "$2" != 1 ] && systemctl is-active --quiet amazon-cloudwatch-agent.service; then
    log cloudwatch-agent.running "\"config\":\"$1\",\"logGroup\":\"$3\""
    return
  fi
  # fetch-config turns the JSON into the agent's own configuration; -s (re)starts the agent
  "$CLOUDWATCH_AGENT_CTL" -a fetch-config -m ec2 -c "file:$1" -s >&2 ||
    fail cloudwatch-agent.start "amazon-cloudwatch-agent-ctl could not load $1 or start the agent (stderr above says why)"
  # and at every later boot (user data runs once per instance)
  systemctl enable --quiet amazon-cloudwatch-agent.service >&2 ||
    fail cloudwatch-agent.start "systemd could not enable amazon-cloudwatch-agent.service"
  log cloudwatch-agent.started "\"manager\":\"systemd\",\"config\":\"$1\",\"logGroup\":\"$3\""
}

LAB_CA_TRUSTED=/usr/local/share/ca-certificates/multiclaw-lab-ca.crt
SYSTEM_BUNDLE=/etc/ssl/certs/ca-certificates.crt
TRUST_CHANGED=0

# trust_lab_ca FILE: the lab CA into the OS trust store (update-ca-certificates), where Node's
# system store, curl and OpenSSL look, as every host of the local lab trusts it. TRUST_CHANGED=1
# when it was added (the services read the store at start).
trust_lab_ca() {
  subject=$(openssl x509 -noout -subject -in "$1" 2>/dev/null) ||
    fail trust.ca "$1 (LAB_CA_CERT_FILE) is not a PEM certificate"
  # installed as OpenSSL writes it (one certificate, 64-column base64), whatever the secret's layout;
  # its first base64 line (the serial is in it) shows whether the bundle has it
  pem=$(openssl x509 -in "$1")
  marker=$(printf '%s\n' "$pem" | sed -n 2p)
  if printf '%s\n' "$pem" | cmp -s - "$LAB_CA_TRUSTED" && grep -qxF "$marker" "$SYSTEM_BUNDLE" 2>/dev/null; then
    log trust.present "\"file\":\"$LAB_CA_TRUSTED\""
    return
  fi
  install -d -m 0755 "${LAB_CA_TRUSTED%/*}"
  printf '%s\n' "$pem" >"$LAB_CA_TRUSTED.new"
  chmod 0644 "$LAB_CA_TRUSTED.new" && mv -f "$LAB_CA_TRUSTED.new" "$LAB_CA_TRUSTED"
  update-ca-certificates >&2 || fail trust.update "update-ca-certificates failed (stderr above says why)"
  grep -qxF "$marker" "$SYSTEM_BUNDLE" || fail trust.update "the lab CA is not in $SYSTEM_BUNDLE after update-ca-certificates"
  TRUST_CHANGED=1
  log trust.installed "\"file\":\"$LAB_CA_TRUSTED\",\"bundle\":\"$SYSTEM_BUNDLE\",\"subject\":\"$(json_escape "$subject")\""
}

ensure_account() {
  if ! id -u "$1" >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir "/var/lib/$2" --shell /usr/sbin/nologin "$1"
    log account.created "\"account\":\"$1\""
  fi
}

# alive PID: the process runs. An exited one stays a zombie where nothing reaps it (a
# container whose PID 1 is not an init), and kill -0 still finds a zombie.
alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

# start_service NAME ACCOUNT CHANGED CAPS PREPARE -- ARGV...: systemd when it is PID 1, else in the background
start_service() {
  name=$1 account=$2 changed=$3 caps=$4 prepare=$5
  shift 6
  # its output file, read by the CloudWatch agent (the unit appends to it; so does the fallback)
  install -d -m 0755 "$LOGS"
  [ -f "$LOGS/$name.log" ] || touch "$LOGS/$name.log"
  chown "$account:$account" "$LOGS/$name.log"
  chmod 0640 "$LOGS/$name.log"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now "$name.service" >&2
    if [ "$changed" = 1 ]; then systemctl restart "$name.service"; fi
    log service.started "\"service\":\"$name\",\"manager\":\"systemd\""
    return
  fi
  pid_file="$PIDS/$name.pid"
  if [ -f "$pid_file" ] && alive "$(cat "$pid_file")"; then
    if [ "$changed" != 1 ]; then
      log service.running "\"service\":\"$name\",\"pid\":$(cat "$pid_file")"
      return
    fi
    old=$(cat "$pid_file")
    kill "$old"
    while alive "$old"; do sleep 0.2; done
  fi
  log service.fallback "\"service\":\"$name\",\"reason\":\"systemd is not PID 1 (a container): starting its ExecStart with its environment file as $account in the background\""
  mkdir -p "$PIDS"
  if [ -n "$caps" ]; then
    privileges="--inh-caps=-all,+$caps --ambient-caps=-all,+$caps --bounding-set=-all,+$caps"
  else
    privileges="--inh-caps=-all --bounding-set=-all"
  fi
  # the unit's User=, EnvironmentFile=, WorkingDirectory=, NoNewPrivileges= and capability set
  # shellcheck disable=SC2086 # privileges are separate words
  (cd "/var/lib/$name" && setsid setpriv --reuid="$(id -u "$account")" --regid="$(id -g "$account")" --init-groups \
    --no-new-privs $privileges -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c 'set -a && . "$1" && set +a && shift && if [ -n "$1" ]; then sh -c "$1"; fi && shift && exec "$@"' \
    service "$CONFIG/$name.env" "$prepare" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$pid_file")
  log service.started "\"service\":\"$name\",\"manager\":\"background\",\"pid\":$(cat "$pid_file"),\"log\":\"$LOGS/$name.log\""
}

# probe URL [SOCKET]: one GET that must answer 2xx (over the unix socket SOCKET when given)
probe() {
  if [ -n "${2:-}" ]; then
    curl -sS -f -o /dev/null --unix-socket "$2" "$1" 2>/dev/null
  else
    curl -sS -f -k -o /dev/null "$1" 2>/dev/null
  fi
}

# wait_healthy NAME URL [SOCKET]: the service answers its health URL (up to 90 s; a dead process fails at once)
wait_healthy() {
  where="$2${3:+ on $3}"
  tries=0
  until probe "$2" "${3:-}"; do
    tries=$((tries + 1))
    if [ -f "$PIDS/$1.pid" ] && ! alive "$(cat "$PIDS/$1.pid")"; then
      tail -n 20 "$LOGS/$1.log" >&2 || true
      fail service.exited "$1 exited before answering $where; its last lines are on stderr above"
    fi
    [ "$tries" -lt 180 ] || fail service.unhealthy "$1 did not answer $where within 90 s"
    sleep 0.5
  done
  socket_field=
  if [ -n "${3:-}" ]; then socket_field=",\"socket\":\"$3\""; fi
  log service.healthy "\"service\":\"$1\",\"url\":\"$2\"$socket_field"
}
