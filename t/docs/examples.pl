#!/usr/bin/perl
# examples.pl - the examples of the documentation, for t/run-docs.sh.
#
#   perl t/docs/examples.pl FILE...
#
# Reads the literal blocks of each file: fenced blocks (```) of a
# Markdown file, .Bd -literal ... .Ed of a man page (its escapes \e and
# \& undone), indented blocks of a plain text file.  Prints one record a
# line, "KIND<TAB>FILE:LINE<TAB>TEXT" with the text's line breaks written
# as \n, of these kinds:
#   conf  a bulwark.conf snippet: settings ending in ";" and the groups
#         and lists they open, one snippet per block
#   main  main.cf settings (NAME = VALUE without a ";"), one per block
#   ctl   a command line running bulwarkctl (or bulwark -t), without its
#         prompt ("# " or "$ ") and trailing comment
#   mc    a Sendmail INPUT_MAIL_FILTER line
use strict;
use warnings;

sub emit {
	my ($kind, $where, @lines) = @_;
	return unless @lines;
	my $text = join("\n", @lines);
	$text =~ s/\\/\\\\/g;
	$text =~ s/\n/\\n/g;
	print "$kind\t$where\t$text\n";
}

sub block {
	my ($where, @lines) = @_;
	my (@conf, @main, $depth);
	$depth = 0;
	for my $i (0 .. $#lines) {
		my $l = $lines[$i];
		my $at = $where->($i);
		if ($depth > 0) {
			push @conf, $l;
			$depth += () = $l =~ /[{\[]/g;
			$depth -= () = $l =~ /[}\]]/g;
			next;
		}
		if ($l =~ /^(?:[#\$] )?((?:bulwarkctl|bulwark -t)\b.*)$/) {
			(my $cmd = $1) =~ s/\s{2,}#.*$//;
			emit('ctl', $at, $cmd);
			next;
		}
		if ($l =~ /^\s*INPUT_MAIL_FILTER\(/) {
			emit('mc', $at, $l =~ s/^\s+//r);
			next;
		}
		if ($l =~ /^\s*[a-z_][a-z_0-9]*\s*=/) {
			my $code = $l =~ s/\s#.*$//r;
			if ($code =~ /;\s*$/ || $code =~ /[{\[]\s*$/) {
				push @conf, $l;
				$depth += () = $code =~ /[{\[]/g;
				$depth -= () = $code =~ /[}\]]/g;
			} elsif ($l =~ /^[a-z_][a-z_0-9]* = /) {
				push @main, $l;
			}
		}
	}
	my $first = $where->(0);
	emit('conf', $first, @conf);
	emit('main', $first, @main);
}

for my $file (@ARGV) {
	open(my $fh, '<', $file) or die "$file: $!\n";
	my @all = <$fh>;
	close($fh);
	chomp @all;
	my $kind = $file =~ /\.md$/ ? 'md' : $file =~ /\.[1-9]$/ ? 'man' : 'text';
	my ($start, @cur);
	my $in = 0;
	for my $n (0 .. $#all) {
		my $l = $all[$n];
		if ($kind eq 'md') {
			if ($l =~ /^```/) {
				if ($in) { my $s = $start; block(sub { "$file:" . ($s + 1 + $_[0]) }, @cur) }
				$in = !$in; @cur = (); $start = $n + 1;
				next;
			}
		} elsif ($kind eq 'man') {
			if ($l =~ /^\.Bd -literal/) { $in = 1; @cur = (); $start = $n + 1; next }
			if ($in && $l =~ /^\.Ed/) {
				my $s = $start; block(sub { "$file:" . ($s + 1 + $_[0]) }, @cur);
				$in = 0; next;
			}
			$l =~ s/\\e/\\/g;
			$l =~ s/\\&//g;
		} else {
			if ($l =~ /^(?: {4}|\t)(.*)$/) {
				if (!$in) { $in = 1; @cur = (); $start = $n }
				push @cur, $1;
				next;
			}
			if ($in && $l =~ /^\s*$/) { next if $n < $#all && $all[$n + 1] =~ /^(?: {4}|\t)/ }
			if ($in) { my $s = $start; block(sub { "$file:" . ($s + 1 + $_[0]) }, @cur); $in = 0 }
			next;
		}
		push @cur, $l if $in;
	}
	if ($in && $kind eq 'text') { my $s = $start; block(sub { "$file:" . ($s + 1 + $_[0]) }, @cur) }
}
