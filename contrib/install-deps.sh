#!/bin/sh
# install-deps.sh - install the Debian packages bulwark needs to build and test.
#
# Usage: contrib/install-deps.sh build|check
#   build   libraries and tools needed by "make" and "make run"
#   check   also what "make check" needs (check, miltertest, curl, perl,
#           redis-server, redis-sentinel, redis-tools (redis-cli),
#           postfix and swaks for t/postfix;
#           the package build tools, lintian and systemd-analyze for t/deb;
#           prometheus for promtool in t/storm; jq for t/bench and "make bench";
#           libfaketime for t/daemon)
#
# As root, missing packages are installed with apt-get.  Otherwise the
# apt-get line to run is printed and the script exits 1.
set -eu

# One group of packages a line, so that each test stage names its own.
build_pkgs="gcc make pkg-config libmilter-dev libconfig-dev libhiredis-dev"
build_pkgs="$build_pkgs libmicrohttpd-dev libjansson-dev zlib1g-dev"
build_pkgs="$build_pkgs libnftables-dev"
check_pkgs="$build_pkgs check miltertest curl redis-server redis-sentinel redis-tools"
check_pkgs="$check_pkgs mandoc man-db procps perl jq"
# t/firewall: network namespaces, veth pairs and nft.
check_pkgs="$check_pkgs iproute2 nftables"
# t/postfix and t/sendmail (Sendmail is unpacked from its .deb: its libraries);
# postfix (its user) and util-linux (runuser) for t/daemon/28-secrets.sh.
check_pkgs="$check_pkgs util-linux postfix swaks m4 libwrap0 liblockfile1 libdb5.3"
check_pkgs="$check_pkgs libldap-2.5-0 libnsl2 libsasl2-2 libssl3"
# t/deb: dpkg-buildpackage with the package's Build-Depends (build-essential
# is implied), lintian, adduser (the package's postinst), systemd-analyze.
check_pkgs="$check_pkgs build-essential dpkg-dev debhelper lintian adduser systemd"
# t/storm: promtool checks the alert rules and the dashboard's queries.
check_pkgs="$check_pkgs prometheus"
# t/daemon: a node whose clock runs ahead.
check_pkgs="$check_pkgs libfaketime"

case "${1:-build}" in
build) want=$build_pkgs ;;
check) want=$check_pkgs ;;
*) echo "usage: $0 build|check" >&2; exit 2 ;;
esac

missing=
for pkg in $want; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bulwark: missing Debian packages:$missing" >&2
	echo "run as root: apt-get install -y$missing" >&2
	exit 1
fi

echo "bulwark: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# The Postfix tests run private instances: the system one stays unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
