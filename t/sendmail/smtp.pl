#!/usr/bin/perl
# smtp.pl - a scripted SMTP client for the Sendmail tests.
#
#   smtp.pl [-b source-address] [-w seconds] port [command ...]
#
# Connects to 127.0.0.1:port (from source-address when given: any
# 127.0.0.0/8 address makes a different client host), reads the greeting,
# then sends each command and reads its reply.  It stops early when a
# reply is 421 or 221, or when the server hangs up.  After the last
# command it waits up to -w seconds (default 5) for the server to close
# the connection.
#
# The transcript goes to stdout, one line per reply, with the final line
# of a multi-line reply:
#   greeting => 220 mx.example.test ESMTP ...
#   RCPT TO:<a@b> => 550 5.1.1 ...
#   RCPT TO:<c@d> => (closed)     the server hung up instead of replying
#   extra => 421 ...              a line sent after the last reply
#   end => closed                 the server closed the connection
#   end => open                   it still had it open after -w seconds
# Exit status: 0 when the session ran, whatever the replies; 2 when the
# connection could not be made.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($bind, $wait) = (undef, 5);
while (@ARGV && $ARGV[0] =~ /^-[bw]$/) {
	my ($opt, $val) = splice(@ARGV, 0, 2);
	if ($opt eq '-b') { $bind = $val } else { $wait = $val }
}
die "usage: smtp.pl [-b address] [-w seconds] port [command ...]\n"
    unless @ARGV;
my ($port, @script) = @ARGV;
$| = 1;
$SIG{PIPE} = 'IGNORE';

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $port, Proto => 'tcp', Timeout => $wait,
    ($bind ? (LocalAddr => $bind) : ()));
unless ($sock) {
	print "connect => failed: $@\n";
	exit 2;
}
binmode $sock;
my $sel = IO::Select->new($sock);
my $buf = '';
my $eof = 0;

# Reads more input within the deadline; false at the end or on timeout.
sub fill {
	my ($deadline) = @_;
	return 0 if $eof;
	my $left = $deadline - time;
	return 0 if $left <= 0 || !$sel->can_read($left);
	my $n = sysread($sock, $buf, 4096, length $buf);
	$eof = 1 unless $n;
	return $n;
}

# One line without its CRLF, or undef.
sub read_line {
	my ($deadline) = @_;
	while ($buf !~ /\n/) {
		return undef unless fill($deadline);
	}
	$buf =~ s/^([^\n]*)\n//;
	(my $line = $1) =~ s/\r$//;
	return $line;
}

# The final line of a reply, or undef when none came.
sub read_reply {
	my $deadline = time + $wait;
	while (defined(my $line = read_line($deadline))) {
		return $line unless $line =~ /^\d{3}-/;
	}
	return undef;
}

# Prints the reply to what; true when the session may go on.
sub report {
	my ($what, $reply) = @_;
	unless (defined $reply) {
		print "$what => ", ($eof ? "(closed)" : "(timeout)"), "\n";
		return 0;
	}
	print "$what => $reply\n";
	return $reply !~ /^(421|221)/;
}

my $going = report('greeting', read_reply());
for my $command (@script) {
	last unless $going;
	unless (print $sock "$command\r\n") {
		print "$command => (closed)\n";
		last;
	}
	$going = report($command, read_reply());
}

my $deadline = time + $wait;
while (defined(my $line = read_line($deadline))) {
	print "extra => $line\n";
}
print "end => ", ($eof ? "closed" : "open"), "\n";
exit 0;
