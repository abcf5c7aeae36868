#!/bin/sh
# Installs Standardiste's Asterisk config, then runs Asterisk in the foreground.
#
# The config is mounted read-only at $ASTERISK_CONFIG_SRC (default /usr/local/share/
# standardiste/asterisk); its *.conf files are copied into /etc/asterisk (exactly those, as
# the sandbox does: standardiste.tools.sandbox.install_config) with the AMI port (manager.conf
# "port") and the SIP port (pjsip.conf "bind = 127.0.0.1:<port>") set from AMI_PORT and
# SIP_PORT, and the bridge's AMI secret (manager.conf "secret") from AMI_SECRET when it is set.
# /etc/asterisk/standardiste is left alone: it is the volume the bridge writes the
# generated config into. Edit the mounted files, then restart this container.
set -eu
src=${ASTERISK_CONFIG_SRC:-/usr/local/share/standardiste/asterisk}
ami_port=${AMI_PORT:-5038}
sip_port=${SIP_PORT:-5060}
secret=${AMI_SECRET:-}
case "$ami_port$sip_port" in *[!0-9]*) echo "AMI_PORT and SIP_PORT must be numbers" >&2; exit 2;; esac
case "$secret" in *[!A-Za-z0-9._~+-]*)
    echo "AMI_SECRET: letters, digits and . _ ~ + - only" >&2; exit 2;; esac
[ -f "$src/asterisk.conf" ] || { echo "no asterisk.conf in $src: mount config/asterisk there" >&2; exit 2; }

find /etc/asterisk -mindepth 1 -maxdepth 1 ! -name standardiste -exec rm -rf {} +
for f in "$src"/*.conf; do
    cp "$f" /etc/asterisk/
done
sed -i -E "0,/^port[[:space:]]*=[[:space:]]*[0-9]+/s//port = $ami_port/" /etc/asterisk/manager.conf
sed -i -E "0,/^(bind[[:space:]]*=[[:space:]]*127\.0\.0\.1:)[0-9]+/s//\1$sip_port/" /etc/asterisk/pjsip.conf
if [ -n "$secret" ]; then
    sed -i -E "0,/^secret[[:space:]]*=.*/s//secret = $secret/" /etc/asterisk/manager.conf
fi
grep -Eq "^port = $ami_port\$" /etc/asterisk/manager.conf || { echo "manager.conf: no port line" >&2; exit 2; }
grep -Eq "^bind[[:space:]]*=[[:space:]]*127\.0\.0\.1:$sip_port\$" /etc/asterisk/pjsip.conf \
    || { echo "pjsip.conf: no bind = 127.0.0.1:<port> line" >&2; exit 2; }

# The state and shared directories may be fresh volumes (owned by root): Asterisk's own.
mkdir -p /etc/asterisk/standardiste /var/spool/asterisk/monitor /run/asterisk
chown asterisk:asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk \
    /var/spool/asterisk/monitor /var/cache/asterisk /run/asterisk
chmod 0755 /var/log/asterisk
# Recordings: the bridge deletes expired ones. It joins this directory's group (see
# docker/app/entrypoint.py), so what Asterisk writes here is group-writable and keeps the
# group (setgid directory, umask 002).
chmod 2775 /var/spool/asterisk/monitor
umask 0002

# -f: foreground (the container's main process), -n: no colours, -U/-G: drop root once the
# config is read (every file above is world-readable).
exec asterisk -f -n -U asterisk -G asterisk "$@"
