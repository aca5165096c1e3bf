#!/bin/sh
# Renders alertmanager.yml with the Telegram receiver's bot token and chat id from the environment, then runs
# Alertmanager on it (Alertmanager expands no environment variables in its config). The rendered file stays in the
# container's /tmp, readable by its user only. `--render-only` renders and exits (the tests use it).
set -eu
template=${ALERTMANAGER_TEMPLATE:-/etc/alertmanager/alertmanager.yml}
out=${ALERTMANAGER_RENDERED:-/tmp/alertmanager.yml}
token=${ALERT_TELEGRAM_BOT_TOKEN:-}
chat=${ALERT_TELEGRAM_CHAT_ID:-}

# Checked before they go into sed: a token is digits:letters, a chat id an integer (negative for a group).
if ! printf '%s' "$token" | grep -Eq '^[0-9]+:[A-Za-z0-9_-]+$'; then
  echo 'alertmanager: ALERT_TELEGRAM_BOT_TOKEN must be a bot token (123456:ABC…), from @BotFather' >&2
  exit 1
fi
if ! printf '%s' "$chat" | grep -Eq '^-?[0-9]+$'; then
  echo 'alertmanager: ALERT_TELEGRAM_CHAT_ID must be a numeric chat id (an admin user id or a group id)' >&2
  exit 1
fi

umask 077
sed -e "s|\${ALERT_TELEGRAM_BOT_TOKEN}|$token|g" -e "s|\${ALERT_TELEGRAM_CHAT_ID}|$chat|g" "$template" > "$out"

if [ "${1:-}" = "--render-only" ]; then exit 0; fi
exec /bin/alertmanager --config.file="$out" --storage.path=/alertmanager "$@"
