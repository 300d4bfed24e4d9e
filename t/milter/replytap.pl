#!/usr/bin/perl
# replytap.pl - a relay between miltertest and the daemon that records
# what miltertest's Lua API does not show: the text of the filter's
# replies and the macros it asks for.
#
# Usage: replytap.pl LISTEN UPSTREAM LOG
#
# Listens on the unix socket LISTEN and relays each connection to the unix
# socket UPSTREAM, byte for byte.  Before a packet from the filter is
# passed on, LOG gets one line for it, so the line is there by the time
# miltertest returns from the command:
#   y 421 4.7.0 text            a reply code (SMFIR_REPLYCODE)
#   O 1={tls_version};2=...     an option negotiation: the macro list
#                               asked for each stage (SMFIM_*), if any
# Runs until it is killed.
use strict;
use warnings;
use IO::Select;
use IO::Socket::UNIX;

my ($listen_path, $upstream_path, $log_path) = @ARGV;
die "usage: $0 LISTEN UPSTREAM LOG\n" unless defined $log_path;

open(my $log, '>>', $log_path) or die "$log_path: $!\n";
$log->autoflush(1);

my $server = IO::Socket::UNIX->new(
	Type => SOCK_STREAM(),
	Local => $listen_path,
	Listen => 16,
) or die "$listen_path: $!\n";

my $select = IO::Select->new($server);
my %peer;		# each relayed socket => the socket at the other end
my %pending;		# filter-side socket => bytes of an incomplete packet

sub write_all {
	my ($sock, $data) = @_;
	while (length $data) {
		my $n = syswrite($sock, $data);
		return unless defined $n;
		substr($data, 0, $n, '');
	}
}

sub close_pair {
	my ($sock) = @_;
	my $other = delete $peer{$sock};
	for my $s ($sock, $other) {
		next unless defined $s;
		delete $peer{$s};
		delete $pending{$s};
		$select->remove($s);
		close($s);
	}
}

# The macro lists after the three words of a negotiation reply.
sub macro_lists {
	my ($data) = @_;
	my @lists;
	while (length($data) > 4) {
		my ($stage, $macros) = unpack('N Z*', $data);
		push @lists, "$stage=$macros";
		substr($data, 0, 4 + length($macros) + 1, '');
	}
	return join(';', @lists);
}

# Pass on the complete packets from the filter, recording reply texts.
sub from_filter {
	my ($sock, $data) = @_;
	$pending{$sock} .= $data;
	while (length($pending{$sock}) >= 5) {
		my ($len, $cmd) = unpack('N a', $pending{$sock});
		last if length($pending{$sock}) < 4 + $len;
		my $packet = substr($pending{$sock}, 0, 4 + $len, '');
		if ($cmd eq 'y') {
			(my $text = substr($packet, 5)) =~ s/\0.*//s;
			print $log "y $text\n";
		} elsif ($cmd eq 'O') {
			print $log 'O ', macro_lists(substr($packet, 5 + 12)), "\n";
		}
		write_all($peer{$sock}, $packet);
	}
}

sub accept_client {
	my $client = $server->accept() or return;
	my $filter = IO::Socket::UNIX->new(
		Type => SOCK_STREAM(),
		Peer => $upstream_path,
	);
	unless ($filter) {
		close($client);
		return;
	}
	$peer{$client} = $filter;
	$peer{$filter} = $client;
	$pending{$filter} = '';
	$select->add($client, $filter);
}

while (1) {
	for my $sock ($select->can_read()) {
		if ($sock == $server) {
			accept_client();
			next;
		}
		next unless exists $peer{$sock};
		my $n = sysread($sock, my $data, 65536);
		if (!$n) {
			close_pair($sock);
		} elsif (exists $pending{$sock}) {
			from_filter($sock, $data);
		} else {
			write_all($peer{$sock}, $data);
		}
	}
}
