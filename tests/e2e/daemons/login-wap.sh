#!/bin/sh
# A home-gateway style console for BusyBox telnetd (-l): a banner, a pause
# longer than a read window before the prompt, "User Name:" and "Password:"
# prompts, and a vendor CLI ("WAP>") after a good login. tests/daemons.rs
# writes a copy with the two accepted pairs (@USER@/@PASSWORD@ and
# @USER2@/@PASSWORD2@) filled in.
printf 'Welcome Visiting Huawei Home Gateway\r\nCopyright by Huawei Technologies Co., Ltd.\r\n'
sleep 1.5
printf 'User Name:'
IFS= read -r user || exit 1
printf 'Password:'
stty -echo 2>/dev/null
IFS= read -r pass || exit 1
stty echo 2>/dev/null
printf '\r\n'
user=$(printf '%s' "$user" | tr -d '\r')
pass=$(printf '%s' "$pass" | tr -d '\r')
if { [ "$user" = '@USER@' ] && [ "$pass" = '@PASSWORD@' ]; } ||
   { [ "$user" = '@USER2@' ] && [ "$pass" = '@PASSWORD2@' ]; }; then
  printf 'WAP>'
  sleep 0.3
  exit 0
fi
printf 'Wrong password or user name!\r\n'
sleep 0.3
exit 1
