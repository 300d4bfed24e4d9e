#!/bin/sh
# run-daemon.sh - the daemon as a service: bulwarkctl, reloads, the
# switch of user, stopping, and blocks shared through Redis.
#
# Runs each t/daemon/NN-name.sh in turn with run_scripts (t/lib/scripts.sh
# says how); t/daemon/lib.sh has the helpers they share.  A script prints
# "ok: ..." or "not ok: ..." per check.
#
# Needs miltertest, perl, redis-server and redis-cli, curl; the switch of
# user is tested only when run as root.  Prints the failed checks with
# their script's output, and "daemon tests: N passed, M failed" last;
# exits non-zero when any check failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"
. "$top/t/lib/scripts.sh"

run_scripts daemon "$top/t/daemon" "ok:" miltertest perl redis-server \
    redis-cli curl
