#!/bin/sh
# The login program of a device console for BusyBox telnetd (-l): one fixed
# credential, and nothing behind it (a shell prompt is printed, no shell is
# run). tests/daemons.rs writes a copy with @USER@ and @PASSWORD@ filled in;
# the host's own accounts are never consulted.
printf 'camera login: '
IFS= read -r user || exit 1
printf 'Password: '
stty -echo 2>/dev/null
IFS= read -r pass || exit 1
stty echo 2>/dev/null
printf '\r\n'
user=$(printf '%s' "$user" | tr -d '\r')
pass=$(printf '%s' "$pass" | tr -d '\r')
if [ "$user" = '@USER@' ] && [ "$pass" = '@PASSWORD@' ]; then
  printf 'BusyBox built-in shell (ash)\r\n# '
  sleep 0.3
  exit 0
fi
printf 'Login incorrect\r\n'
# telnetd drops what is still unread on the terminal when the program exits.
sleep 0.3
exit 1
