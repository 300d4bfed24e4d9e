#!/bin/sh
# run.sh - the Debian package: build, lintian, install, run, purge.
#
#   t/deb/run.sh
#
# Builds the package from a copy of the source tree (the work tree is not
# touched) with "dpkg-buildpackage -us -uc -b", runs lintian on it, checks
# "make uninstall" there, installs the package with "dpkg -i" (then
# "apt-get -f install") and checks what it made: the bulwark user and
# group, the files and their modes, the conffile, the enabled unit, the
# man pages, the Postfix socket directory, "bulwark -t" on the installed
# configuration and "systemd-analyze verify" on the unit.  Then it runs
# the unit's ExecStart as the unit would (user bulwark, its umask) on a
# configuration derived from the installed one, with the socket in a
# private Postfix's queue directory made like the package's
# /var/spool/postfix/bulwark, its pid file and control socket in the
# temporary directory and no metrics listener, so that no other bulwark
# on this machine is disturbed; checks that a chrooted smtpd configured
# as README says reaches it, and that ExecReload works.  Then it installs
# the package again over an edited configuration, runs dpkg-reconfigure,
# purges the package and checks that nothing it made is left but the
# user.
#
# The package is installed system-wide, so the run
#   - waits for any other run of this stage (a lock in /run);
#   - refuses to run when a bulwark package is installed (or removed but
#     not purged), or when any file it would install exists (a "make
#     install"): it will not replace nor purge them;
#   - on a machine running systemd, masks the unit (--runtime) until the
#     purge, so that no maintainer script starts the installed daemon
#     with its default paths;
#   - purges what it installed on exit, also after a failure or an
#     interrupt.
# Needs root.  Prints one "ok" or "not ok" line per assertion and, last,
# "deb tests: N passed, M failed"; exits non-zero on any failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../postfix/lib.sh"

LOCK=/run/bulwark-deb-test.lock
UNIT=/lib/systemd/system/bulwark.service
CONF=/etc/bulwark/bulwark.conf
SOCKDIR=/var/spool/postfix/bulwark
INSTALLED=
MASKED=

finish() {
	summary deb
	exit
}

preflight() {
	local tool
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the package tests need root (dpkg -i, Postfix's master)"
		finish
	fi
	for tool in dpkg-buildpackage dh lintian systemd-analyze postfix \
	    postconf swaks perl setpriv flock adduser; do
		command -v "$tool" >/dev/null 2>&1 && continue
		not_ok "$tool is not installed (contrib/install-deps.sh check)"
	done
	[ "$failed" -eq 0 ] || finish
}

# dpkg_retry COMMAND...: run a dpkg command, retrying for up to 2 minutes
# while another apt or dpkg holds the dpkg lock; its output is in $OUT.
dpkg_retry() {
	local i=0 rc
	while :; do
		OUT=$("$@" 2>&1)
		rc=$?
		case "$OUT" in
		*"is locked by"* | *"was locked by"*) ;;
		*) return $rc ;;
		esac
		[ $i -lt 60 ] || return $rc
		sleep 2
		i=$((i + 1))
	done
}

pkg_status() {
	dpkg-query -W -f='${Status}' bulwark 2>/dev/null
}

# What the package may have made: every path named *bulwark* or owned
# by the user bulwark under the system's directories.
find_ours() {
	local uid
	uid=$(id -u bulwark 2>/dev/null) || uid=
	find /etc /usr /var /opt /srv /run /lib /bin /sbin -xdev \
	    \( -path /var/tmp -o -path /run/user -o -path "$TOP" \
	    -o -path "$WORK" \) -prune -o \
	    \( -name '*bulwark*' ${uid:+-o -uid "$uid"} \) -print 2>/dev/null |
	    grep -vxF "$LOCK" | sort
}

on_exit() {
	if [ -n "$INSTALLED" ]; then
		dpkg_retry dpkg --purge bulwark ||
		    echo "# could not purge bulwark: $OUT"
	fi
	unmask
	cleanup
}

unmask() {
	[ -z "$MASKED" ] || systemctl unmask --runtime bulwark.service \
	    >/dev/null 2>&1
	MASKED=
}

# expect_mode WHAT PATH OWNER:GROUP MODE: stat of PATH.
expect_mode() {
	local got
	got=$(stat -c '%U:%G %a' "$2" 2>&1)
	if [ "$got" = "$3 $4" ]; then
		ok "$1: $2 is $3 $4"
	else
		not_ok "$1: $2 is '$got', '$3 $4' expected"
	fi
}

# expect_run WHAT COMMAND...: COMMAND exits 0; its output is shown if not.
expect_run() {
	local what="$1" out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what: exit status $?"
		printf '%s\n' "$out" | show
	fi
}

# as_bulwark COMMAND: a shell command run as systemd runs the unit's
# commands: user and group bulwark (with its groups), no new privileges,
# UMask=0027.
as_bulwark() {
	setpriv --reuid=bulwark --regid=bulwark --init-groups --no-new-privs \
	    sh -c "umask 0027; exec $1"
}

# unit_cmd KEY: the unit's KEY= command line with the installed
# configuration replaced by $WORK/bw.conf (empty when it does not name it).
unit_cmd() {
	sed -n "s/^$1=//p" "$UNIT" | grep -F -- "-c $CONF" |
	    sed "s|-c $CONF|-c $WORK/bw.conf|"
}

# --- Build ----------------------------------------------------------------

copy_tree() {
	local dest="$WORK/src/bulwark"
	mkdir -p "$dest"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TOP" && git ls-files -co --exclude-standard -z |
		    tar -cf - --null -T -) | tar -xf - -C "$dest"
	else
		(cd "$TOP" && tar -cf - --exclude=./.git .) | tar -xf - -C "$dest"
	fi
}

# Every library "make" needs (contrib/install-deps.sh build) is a
# Build-Depends of the package.
check_build_depends() {
	local pkg n=0 missing=
	for pkg in $(sed -n 's/^build_pkgs="\(.*\)"$/\1/p' "$TOP/contrib/install-deps.sh"); do
		case "$pkg" in *-dev) n=$((n + 1)) ;; *) continue ;; esac
		grep -q "^ *\(Build-Depends: *\)\?$pkg,\?\$" "$TOP/debian/control" ||
		    missing="$missing $pkg"
	done
	if [ "$n" -eq 0 ]; then
		not_ok "no build_pkgs=\"...\" line with libraries in contrib/install-deps.sh"
	elif [ -z "$missing" ]; then
		ok "debian/control's Build-Depends has the $n libraries of install-deps.sh build"
	else
		not_ok "debian/control's Build-Depends lacks:$missing"
	fi
}

build() {
	local src="$WORK/src/bulwark" version
	check_build_depends
	copy_tree
	if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b builds the package"
	else
		not_ok "dpkg-buildpackage failed"
		tail -n 25 "$WORK/build.log" | show
		finish
	fi
	version=$(cd "$src" && dpkg-parsechangelog -S Version)
	DEB=$WORK/src/bulwark_${version}_$(dpkg --print-architecture).deb
	if [ "$version" = "$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")" ]; then
		ok "debian/changelog has the Makefile's VERSION, $version"
	else
		not_ok "debian/changelog's $version is not the Makefile's VERSION"
	fi
	[ -f "$DEB" ] || { not_ok "no $DEB"; finish; }
}

# lintian as an unprivileged user (it need not be root): no error, no
# warning that debian/bulwark.lintian-overrides does not justify.
lint() {
	local out
	mkdir -p "$WORK/lintian"
	chown nobody "$WORK/lintian"
	if out=$(env -i PATH=/usr/bin:/bin HOME="$WORK/lintian" \
	    TMPDIR="$WORK/lintian" setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups lintian --fail-on error,warning \
	    "$WORK"/src/bulwark_*.changes 2>&1); then
		ok "lintian: no error, no unjustified warning"
	else
		not_ok "lintian complains"
	fi
	[ -z "$out" ] || printf '%s\n' "$out" | show
}

# "make uninstall" removes what "make install" put in a staging tree, and
# keeps an edited configuration.
uninstall() {
	local src="$WORK/src/bulwark" stage="$WORK/stage" n left
	make -C "$src" -s install DESTDIR="$stage" >/dev/null 2>&1
	n=$(find "$stage" ! -type d | wc -l)
	make -C "$src" -s uninstall DESTDIR="$stage" >/dev/null 2>&1
	left=$(find "$stage" ! -type d)
	if [ "$n" -gt 0 ] && [ -z "$left" ]; then
		ok "make uninstall removes the $n files make install installed"
	else
		not_ok "make uninstall left files (make install installed $n)"
		printf '%s\n' "$left" | show
	fi
	make -C "$src" -s install DESTDIR="$stage" >/dev/null 2>&1
	echo 'log_level = "debug";' >>"$stage/etc/bulwark/bulwark.conf"
	make -C "$src" -s uninstall DESTDIR="$stage" >/dev/null 2>&1
	left=$(find "$stage" ! -type d)
	if [ "$left" = "$stage/etc/bulwark/bulwark.conf" ]; then
		ok "make uninstall keeps an edited bulwark.conf"
	else
		not_ok "make uninstall: only the edited bulwark.conf should be left"
		printf '%s\n' "$left" | show
	fi
}

# --- Install --------------------------------------------------------------

# Refuse to touch an installed bulwark package, also one removed but not
# purged (its configuration stays).
refuse_installed() {
	local status
	status=$(pkg_status)
	case "$status" in
	"" | *not-installed) ;;
	*)
		not_ok "refusing to run: the bulwark package is on this machine ($status); purge it first"
		finish
		;;
	esac
}

# Refuse to overwrite, then purge, a bulwark installed by other means.
refuse_existing() {
	local path found=
	for path in $(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }') \
	    "$SOCKDIR"; do
		[ -e "$path" ] || [ -L "$path" ] || continue
		not_ok "refusing to run: $path exists (bulwark installed without the package?)"
		found=1
	done
	[ -z "$found" ] || finish
}

install_pkg() {
	if [ -d /run/systemd/system ]; then
		systemctl mask --runtime bulwark.service >/dev/null 2>&1 &&
		    MASKED=1
	fi
	INSTALLED=1
	dpkg_retry dpkg -i "$DEB"
	printf '%s\n' "$OUT" >"$WORK/dpkg-i.log"
	if [ "$(pkg_status)" != "install ok installed" ]; then
		dpkg_retry apt-get -f install -y -q -o DPkg::Lock::Timeout=120
		printf '%s\n' "$OUT" >>"$WORK/dpkg-i.log"
	fi
	if [ "$(pkg_status)" = "install ok installed" ]; then
		ok "dpkg -i installs the package"
	else
		not_ok "the package is not installed: $(pkg_status)"
		show "$WORK/dpkg-i.log"
		finish
	fi
}

check_user() {
	local pw shell home uid
	pw=$(getent passwd bulwark) || { not_ok "no user bulwark"; return; }
	uid=$(echo "$pw" | cut -d: -f3)
	home=$(echo "$pw" | cut -d: -f6)
	shell=$(echo "$pw" | cut -d: -f7)
	if [ "$uid" -lt 1000 ] && [ "$home" = /nonexistent ] &&
	    [ "$shell" = /usr/sbin/nologin ] &&
	    [ "$(id -gn bulwark)" = bulwark ]; then
		ok "user bulwark: system user, group bulwark, no home, no login"
	else
		not_ok "user bulwark: $pw, group $(id -gn bulwark)"
	fi
}

check_files() {
	local page
	expect_mode "daemon" /usr/sbin/bulwark root:root 755
	expect_mode "control command" /usr/sbin/bulwarkctl root:root 755
	expect_mode "configuration" "$CONF" root:bulwark 640
	expect_mode "unit" "$UNIT" root:root 644
	expect_mode "Postfix socket directory" "$SOCKDIR" bulwark:postfix 2750
	if dpkg-query -W -f='${Conffiles}' bulwark | grep -q "^ $CONF "; then
		ok "$CONF is a conffile"
	else
		not_ok "$CONF is not a conffile"
	fi
	if [ "$(readlink /etc/systemd/system/multi-user.target.wants/bulwark.service)" = "$UNIT" ]; then
		ok "the unit is enabled (multi-user.target.wants)"
	else
		not_ok "the unit is not enabled"
	fi
	if grep -q '^socket = "unix:/var/spool/postfix/bulwark/bulwark.sock";$' "$CONF"; then
		ok "the installed configuration's socket is in $SOCKDIR"
	else
		not_ok "the installed configuration's socket is not in $SOCKDIR"
	fi
	for page in bulwark.8 bulwarkctl.8 bulwark.conf.5 bulwark-storm.7; do
		# man -l renders without writing man-db's cache of the page.
		if [ "$(man -w "$page" 2>/dev/null)" = "/usr/share/man/man${page##*.}/$page.gz" ] &&
		    MANWIDTH=80 man -l "/usr/share/man/man${page##*.}/$page.gz" 2>&1 |
		    grep -q .; then
			ok "man page $page installed and renders"
		else
			not_ok "man page $page not found by man, or empty"
		fi
	done
	case "$(/usr/sbin/bulwark -V 2>&1)" in
	*"$(dpkg-query -W -f='${Version}' bulwark)"*)
		ok "bulwark -V prints the package's version" ;;
	*) not_ok "bulwark -V: $(/usr/sbin/bulwark -V 2>&1)" ;;
	esac
}

check_config() {
	local pre out
	expect_run "bulwark -t accepts the installed configuration" \
	    /usr/sbin/bulwark -t -c "$CONF"
	pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT")
	expect_run "the unit's ExecStartPre as user bulwark: $pre" \
	    as_bulwark "$pre"
	# --man=no: man would cache the pages it formats, outside the package.
	if out=$(systemd-analyze verify --man=no "$UNIT" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: the unit is valid"
	else
		not_ok "systemd-analyze verify complains about the unit"
		printf '%s\n' "$out" | show
	fi
}

# --- Run ------------------------------------------------------------------

# $WORK/bw.conf: the installed configuration with the test's paths (the
# socket in the private Postfix's queue directory, pid file and control
# socket in $WORK/run, no metrics listener) and one blocked host; each
# edit must apply.  Owner and mode as the installed one's.
derive_config() {
	local q="$WORK/mx1/queue/bulwark"
	sed -e "s|^socket = .*|socket = \"unix:$q/bulwark.sock\";|" \
	    -e "s|^pidfile = .*|pidfile = \"$WORK/run/bulwark.pid\";|" \
	    -e "s|^control = .*|control = \"unix:$WORK/run/control.sock\";|" \
	    -e 's|^metrics_listen = .*|metrics_listen = "";|' \
	    -e 's|^blocked = .*|blocked = [ "192.0.2.99" ];|' \
	    -e 's|^blocked_action = .*|blocked_action = "tempfail";|' \
	    "$CONF" >"$WORK/bw.conf"
	chown --reference="$CONF" "$WORK/bw.conf"
	chmod --reference="$CONF" "$WORK/bw.conf"
	if [ "$(diff "$CONF" "$WORK/bw.conf" | grep -c '^>')" -eq 6 ]; then
		ok "test configuration: the installed one with 6 lines changed"
	else
		not_ok "test configuration: the edits did not all apply"
		diff "$CONF" "$WORK/bw.conf" | show
		finish
	fi
	# The queue directory's bulwark/ as the package made $SOCKDIR; the
	# runtime directory as systemd makes it (RuntimeDirectoryMode=0750).
	mkdir -p "$q"
	chown --reference="$SOCKDIR" "$q"
	chmod --reference="$SOCKDIR" "$q"
	install -d -o bulwark -g bulwark -m 0750 "$WORK/run"
}

start_daemon() {
	local cmd pid out
	cmd=$(unit_cmd ExecStart)
	[ -n "$cmd" ] || { not_ok "the unit's ExecStart does not use -c $CONF"; return 1; }
	if ! out=$(as_bulwark "$cmd" 2>&1); then
		not_ok "the unit's ExecStart as user bulwark failed: $cmd"
		printf '%s\n' "$out" | show
		return 1
	fi
	pid=$(cat "$WORK/run/bulwark.pid" 2>/dev/null)
	echo "$pid" >"$WORK/bw.daemon"
	BW_NAMES=bw
	if bw_alive bw && [ "$(stat -c %U "/proc/$pid")" = bulwark ]; then
		ok "the unit's ExecStart as user bulwark: daemon $pid serves, runs as bulwark"
	else
		not_ok "no daemon running as bulwark after ExecStart (pid '$pid')"
		return 1
	fi
	expect_mode "milter socket" "$WORK/mx1/queue/bulwark/bulwark.sock" \
	    bulwark:postfix 660
}

postfix_reaches_it() {
	local log="$WORK/mx1/maillog"
	xsession "$PORT" 192.0.2.99
	expect_reply "chrooted smtpd: bulwark refuses the blocked host" \
	    XCLIENT "421 "
	expect_line "Postfix logged bulwark's refusal" "$log" \
	    "milter-reject: XCLIENT from unknown[192.0.2.99]: 421 4.7.0"
	deliver "$PORT" 192.0.2.98 alice@test.example
	expect_delivered "chrooted smtpd: mail from another host" \
	    "$log" alice@test.example
	expect_no_line "smtpd reached the milter every time" "$log" \
	    "connect to Milter service"
}

stop_daemon() {
	local reload pid
	reload=$(unit_cmd ExecReload)
	expect_run "the unit's ExecReload as user bulwark: $reload" \
	    as_bulwark "$reload"
	pid=$(bw_pid bw)
	kill -TERM "$pid" 2>/dev/null
	if bw_wait bw 20 && [ ! -e "$WORK/mx1/queue/bulwark/bulwark.sock" ] &&
	    [ ! -e "$WORK/run/bulwark.pid" ]; then
		ok "SIGTERM stops the daemon; socket and pid file removed"
	else
		not_ok "the daemon did not stop cleanly"
	fi
}

# --- Upgrade --------------------------------------------------------------

# Installing the package again keeps an edited bulwark.conf and its mode;
# dpkg-reconfigure makes the socket directory again (README's advice when
# Postfix comes after bulwark).
reinstall() {
	echo "# edited by t/deb/run.sh" >>"$CONF"
	dpkg_retry dpkg -i "$DEB"
	if [ "$(pkg_status)" = "install ok installed" ] &&
	    tail -n 1 "$CONF" | grep -qx "# edited by t/deb/run.sh"; then
		ok "installing the package again keeps the edited bulwark.conf"
	else
		not_ok "installing again: package $(pkg_status), edit lost?"
		printf '%s\n' "$OUT" | show
	fi
	expect_mode "configuration after reinstalling" "$CONF" root:bulwark 640
	rm -rf "$SOCKDIR"
	dpkg_retry env DEBIAN_FRONTEND=noninteractive dpkg-reconfigure bulwark
	expect_mode "dpkg-reconfigure bulwark" "$SOCKDIR" bulwark:postfix 2750
}

# --- Purge ----------------------------------------------------------------

purge() {
	local new gone
	dpkg -L bulwark | sort >"$WORK/pkg-files"
	dpkg_retry dpkg --purge bulwark
	if [ "$(pkg_status)" = "" ] || [ "$(pkg_status)" = "unknown ok not-installed" ]; then
		INSTALLED=
		ok "dpkg --purge removes the package"
	else
		not_ok "purge failed: $(pkg_status)"
		printf '%s\n' "$OUT" | show
		return
	fi
	find_ours >"$WORK/after"
	new=$(comm -13 "$WORK/before" "$WORK/after")
	if [ -z "$new" ]; then
		ok "after purge nothing named bulwark or owned by bulwark is left"
	else
		not_ok "left after purge"
		printf '%s\n' "$new" | show
	fi
	gone=$(while read -r path; do
		[ -d "$path" ] && continue
		[ -e "$path" ] || [ -L "$path" ] && echo "$path"
	done <"$WORK/pkg-files")
	if [ -z "$gone" ] && [ ! -e /etc/bulwark ] && [ ! -e "$SOCKDIR" ]; then
		ok "every file of the package, /etc/bulwark and $SOCKDIR are gone"
	else
		not_ok "files of the package left after purge"
		printf '%s\n' "$gone" | show
	fi
	if dpkg-statoverride --list | grep -q bulwark; then
		not_ok "a dpkg-statoverride entry for bulwark is left"
	else
		ok "no dpkg-statoverride entry left"
	fi
	if getent passwd bulwark >/dev/null; then
		ok "the system user bulwark stays, as README says"
	else
		not_ok "the user bulwark was removed, README says it stays"
	fi
}

preflight
exec 9>"$LOCK"
if ! flock -w 600 9; then
	not_ok "another run of the package tests held $LOCK for 10 minutes"
	finish
fi
refuse_installed
# In /tmp, searchable by smtpd (user postfix) and bulwark, like
# postfix_work_create's.
WORK=$(mktemp -d /tmp/bulwark-deb.XXXXXX) || exit 1
chmod 755 "$WORK"
trap on_exit EXIT
trap 'exit 130' HUP INT PIPE TERM
started=$(date +%s)

echo "# build"
build
lint
uninstall

echo "# install"
refuse_installed
refuse_existing
find_ours >"$WORK/before"
install_pkg
check_user
check_files
check_config

echo "# run"
hold_ports 1 || { not_ok "no port to hold"; exit 1; }
PORTS=$ports
next_port
pf_create mx1
# README's main.cf lines (pf_create has the milter_* ones), and an smtpd
# chrooted in the queue directory, as Debian runs it.
printf 'smtpd_milters = unix:bulwark/bulwark.sock\nnon_smtpd_milters =\n' \
    >>"$WORK/mx1/etc/main.cf"
echo "127.0.0.1:$PORT inet n - y - - smtpd" >>"$WORK/mx1/etc/master.cf"
derive_config
if start_daemon && pf_start mx1; then
	postfix_reaches_it
fi
bw_alive bw && stop_daemon
pf_stop mx1 || not_ok "postfix mx1: processes left after stop (killed)"

echo "# upgrade"
reinstall

echo "# purge"
unmask
purge
echo "# took $(($(date +%s) - started)) s"
finish
