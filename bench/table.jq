# table.jq - the table of a bench/run.sh result (jq -r -f table.jq FILE):
# tab-separated lines of test, rate, ratio, session p50, p99, max (us),
# the filter's CPU time per session (us), note.  Ratios compare with the reference named in each row's group.
def r1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
def r0: if . == null then "-" else (round | tostring) end;

(.rows | map({key: .name, value: .}) | from_entries) as $by
| def ref($name): $by[$name];
  def lat: [(.stages.session.p50_us | r1), (.stages.session.p99_us | r1),
	    (.stages.session.max_us | r0),
	    (if .filter_cpu_s != null and .sessions > 0 then
		.filter_cpu_s * 1e6 / .sessions | r1 else "-" end)];
  def ratio($of; $ref): if $ref == null then null
	else $of / $ref end;
  def reference:
	if .group == "throughput" then
	    (.name | sub("bulwark memory "; "floor ")
		   | sub("bulwark redis "; "redis floor ")) as $r
	    | if $r == .name then null else ref($r) end
	elif .group == "scale" then
	    (.name | sub(" [0-9]+ hosts$"; " 1000 hosts")) as $r
	    | if $r == .name then null else ref($r) end
	else null end;
  "\(.cpus) CPUs (\(.cpu)), \(.bench_seconds) s per configuration, run took \(.run_seconds) s",
  (["test", "rate/s", "ratio", "p50 us", "p99 us", "max us", "cpu us", "note"] | @tsv),
  (.rows[]
   | . as $row
   | reference as $ref
   | if .group == "throughput" or .group == "scale" then
	[.name, (.sessions_per_s | r0),
	 (ratio(.sessions_per_s; $ref.sessions_per_s) | r2)] + lat +
	[[(if $ref != null then
	    "p99 x\(ratio(.stages.session.p99_us; $ref.stages.session.p99_us) | r2)"
	  else empty end),
	  (if $ref != null and .filter_cpu_s != null and $ref.filter_cpu_s != null then
	    "cpu x\(ratio(.filter_cpu_s / .sessions; $ref.filter_cpu_s / $ref.sessions) | r2)"
	  else empty end),
	  (if .group == "throughput" and (.name | test("redis")) and
	      (.redis_cpu_s // 0) > 0 then
	    "redis cpu \(.redis_cpu_s * 1e6 / .sessions | r1) us" else empty end),
	  (if .rss_bytes_per_host != null and (.name | test("memory")) then
	    "RSS \(.rss_bytes_per_host | r0) B/host" else empty end),
	  (if .redis_bytes_per_host != null and (.name | test("redis")) then
	    "Redis \(.redis_bytes_per_host | r0) B/host (\(.redis_keys) keys)"
	  else empty end),
	  (if .errors > 0 then "\(.errors) errors" else empty end)]
	 | join(", ")]
     elif .group == "flood" then
	["flood: " + .name, ((.refused_per_s // .sessions_per_s) | r0), ""] + lat +
	[(if .refused_per_s != null then
	    "refused \(.refused_connect)/\(.sessions), log lines/refused \(.log_lines_per_refused | r2)"
	    + (if .redis_commands_per_refused != null then
		", redis cmds/refused \(.redis_commands_per_refused | r2) (\(.redis_scripts_per_refused | r2) FCALL)" else "" end)
	  else "sessions/s" end)]
     else
	(if .name | test("floor$") then ref("postfix, milter: none")
	 elif .name | test("bulwark$") then ref("postfix, milter: floor")
	 else null end) as $pref
	| [.name, (.messages_per_s | r0),
	   (ratio(.messages_per_s; $pref.messages_per_s) | r2),
	   "-", "-", "-", "-", "messages/s, \(.messages) messages, \(.milter_refusals) refused"]
     end
   | @tsv)
