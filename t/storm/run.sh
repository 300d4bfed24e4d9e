#!/bin/sh
# run.sh - the storm view: live sessions held open with a real milter
# client (miltertest, t/storm/hold.lua) against the real daemon, and
# what bulwarkctl top says of them.
#
# Runs every t/storm/NN-name.sh in turn with run_scripts (t/lib/scripts.sh
# says how); t/storm/lib.sh has the helpers they share.  A script prints
# "ok - ..." or "not ok - ..." per check.
#
# Needs miltertest, perl (JSON::PP) and curl.  Prints the output of a
# script with a failed check, and "storm tests: N passed, M failed" last;
# exits non-zero when any check failed.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"
. "$top/t/lib/scripts.sh"

run_scripts storm "$top/t/storm" "ok -" miltertest perl curl
