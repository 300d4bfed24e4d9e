# smtp.sh - reading the transcripts of t/lib/smtp.pl.
# Sourced, not run, with TOP (the source tree) set:
# ". "$TOP/t/lib/smtp.sh"".  Needs perl.
#
# SMTP_CLIENT
#	The path of smtp.pl.
# smtp_reply WHAT
#	From a transcript on the standard input, the final line of the
#	reply to the first command that starts with WHAT ("greeting" names
#	the greeting): "250 2.1.5 Ok"; "(closed)" or "(timeout)" when the
#	server hung up or stayed silent instead; empty when no such command
#	was sent.  WHAT "end" gives how the session ended: "closed", "open"
#	or "timeout".

SMTP_CLIENT=$TOP/t/lib/smtp.pl

smtp_reply() {
	awk -v want="$1" '
		want == "end" { if (/^== /) last = substr($0, 4); next }
		!found && want == "greeting" && /^<- / { found = 1 }
		!found && index($0, "-> " want) == 1 { found = 1; next }
		found && /^<- [0-9][0-9][0-9]-/ { next }
		found && /^<- / { print substr($0, 4); exit }
		found && /^== / { print "(" substr($0, 4) ")"; exit }
		found && /^->/ { exit }
		END { if (want == "end") print last }'
}
