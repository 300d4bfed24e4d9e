#!/usr/bin/perl
# syslog.pl - a syslog socket for one test daemon.
#
#   syslog.pl SOCKET FILE HOST
#
# Listens on the unix datagram socket SOCKET and appends each message to
# FILE as a syslog file holds it: "Mmm dd hh:mm:ss HOST ident[pid]: text"
# (the priority dropped, HOST added).  Runs until killed.
use strict;
use warnings;
use IO::Handle;
use IO::Socket::UNIX;
use Socket;

my ($path, $file, $host) = @ARGV;
die "usage: syslog.pl SOCKET FILE HOST\n" unless defined $host;
unlink $path;
my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
    or die "syslog.pl: $path: $!\n";
chmod 0666, $path;
open my $out, '>>', $file or die "syslog.pl: $file: $!\n";
$out->autoflush(1);
while (defined $sock->recv(my $msg, 65536)) {
	$msg =~ s/^<\d+>//;
	$msg =~ s/\n+$//;
	$msg =~ s/^(\w{3} [ \d]\d \d\d:\d\d:\d\d) /$1 $host / or next;
	print $out "$msg\n";
}
