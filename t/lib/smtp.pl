#!/usr/bin/perl
# smtp.pl - a small scripted SMTP client for the Postfix and Sendmail tests.
#
#   smtp.pl [-b local-addr] [-w seconds] host port [command ...]
#
# Connects (from local-addr when given: any 127.0.0.0/8 address makes a
# different client host), reads the greeting, then sends each command in
# turn and reads its reply.  "DATA" is followed, after a 354, by a short
# message and the final dot.  The session stops early when a reply is 421
# or 221, or when the server hangs up.  When the script is done and the
# server still listens, QUIT is sent.
#
# The transcript goes to stdout, one line per SMTP line:
#   <- 220 ...       a reply line from the server
#   -> EHLO ...      a command sent
#   == closed        the server closed the connection (checked after every
#                    421 or 221 reply, whenever a read finds the end, and
#                    when a command cannot be sent)
#   == open          the server kept the connection open after a 421 or
#                    221 for -w seconds
#   == timeout       no complete reply within -w seconds (default 10)
# t/lib/smtp.sh reads replies out of it.  Exit status: 0 when the session
# ran (whatever the replies), 2 when the connection could not be made.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($bind, $wait) = (undef, 10);
while (@ARGV && $ARGV[0] =~ /^-[bw]$/) {
	my ($opt, $val) = splice(@ARGV, 0, 2);
	if ($opt eq '-b') { $bind = $val } else { $wait = $val }
}
die "usage: smtp.pl [-b addr] [-w seconds] host port [command ...]\n"
    if @ARGV < 2;
my ($host, $port, @script) = @ARGV;
$| = 1;
# A server that hung up makes a write fail, not end the client.
$SIG{PIPE} = 'IGNORE';

my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
    Proto => 'tcp', Timeout => $wait, ($bind ? (LocalAddr => $bind) : ()));
unless ($sock) {
	print "== connect failed: $@\n";
	exit 2;
}
binmode $sock;
my $sel = IO::Select->new($sock);
my $buf = '';
my $eof = 0;

# Reads more input before the deadline; false at the end or on timeout.
sub fill {
	my ($deadline) = @_;
	return 0 if $eof;
	my $left = $deadline - time;
	return 0 if $left <= 0 || !$sel->can_read($left);
	my $n = sysread($sock, $buf, 4096, length $buf);
	$eof = 1 unless $n;
	return $n;
}

# One line from the server without its CRLF; undef at the end or timeout.
sub read_line {
	my $deadline = time + $wait;
	while ($buf !~ /\n/) {
		return undef unless fill($deadline);
	}
	$buf =~ s/^([^\n]*)\n//;
	(my $line = $1) =~ s/\r$//;
	return $line;
}

# A whole (possibly multi-line) reply; its code, or undef.
sub read_reply {
	while (defined(my $line = read_line())) {
		print "<- $line\n";
		return substr($line, 0, 3) if $line !~ /^\d{3}-/;
	}
	print $eof ? "== closed\n" : "== timeout\n";
	return undef;
}

# After a 421 or 221 the server should hang up: say whether it did, with
# whatever it still sent.
sub check_closed {
	my $deadline = time + $wait;
	do {
		print "<- $1\n" while $buf =~ s/^([^\n]*?)\r?\n//;
	} while (fill($deadline));
	print $eof ? "== closed\n" : "== open\n";
	return $eof;
}

sub send_line {
	my ($line) = @_;
	print "-> $line\n";
	return 1 if defined syswrite($sock, "$line\r\n");
	print "== closed\n";
	return 0;
}

sub command {
	my ($cmd) = @_;
	send_line($cmd) or return undef;
	my $code = read_reply();
	return $code unless defined $code && $cmd =~ /^DATA$/i && $code eq '354';
	for ('Subject: bulwark test', '', 'test message', '.') {
		send_line($_) or return undef;
	}
	return read_reply();
}

my $code = read_reply();
exit 0 unless defined $code;
if ($code eq '421') {
	check_closed();
	exit 0;
}
for my $cmd (@script) {
	$code = command($cmd);
	exit 0 unless defined $code;
	if ($code eq '421' || $code eq '221') {
		check_closed();
		exit 0;
	}
}
$code = command('QUIT');
check_closed() if defined $code;
exit 0;
