#!/usr/bin/perl
# no-connect.pl - a milter client that skips CONNECT: it negotiates, sends
# HELO and prints the filter's answer ("c" for continue).
#
# Usage: no-connect.pl SOCKET_PATH
use strict;
use warnings;
use IO::Socket::UNIX;

my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
    or die "$ARGV[0]: $!\n";

sub send_packet {
	my ($cmd, $data) = @_;
	print $sock pack('N a', 1 + length($data), $cmd), $data;
}

sub read_packet {
	read($sock, my $head, 5) == 5 or die "no answer\n";
	my ($len, $cmd) = unpack('N a', $head);
	read($sock, my $data, $len - 1) if $len > 1;
	return $cmd;
}

$sock->autoflush(1);
send_packet('O', pack('N N N', 6, 0x1ff, 0x1fffff));
read_packet() eq 'O' or die "negotiation failed\n";
send_packet('H', "no-connect.example\0");
print read_packet(), "\n";
