#!/usr/bin/env bash
# slurm-check.sh: prove the sharded-run path end to end on a throw-away one-node Slurm
# cluster on this machine (needs root; Debian/Ubuntu: installs slurm-wlm, munge and jq
# with apt-get when missing).
#
#  1. starts munged, slurmctld and slurmd with their own key, config, sockets and state
#     in a temporary folder (nothing under /etc is used or changed), waits for the node;
#  2. builds bin/tomebench and submits configs/smoke.yaml twice as a 2-task job array
#     with deploy/slurm/tomebench-array.sbatch:
#       A. one folder per shard (OUT_PATTERN), then `tomebench merge` of the two folders
#          (the main check);
#       B. one shared OUT folder: the shard that finishes last computes the metrics and
#          writes the report;
#  3. runs the same config unsharded and compares each sharded result with it: every
#     image byte-identical (sha256), the image records equal without timings and the
#     shard field, and the metrics (FID, KID, PSNR, SSIM) equal.
# It prints PASS or FAIL (exit status 1), and always stops the daemons it started and
# removes its temporary state.
#
# Usage: sudo bash scripts/slurm-check.sh   (CONFIG=... to check another config;
#        KEEP=1 keeps the temporary folder, with the logs and run folders)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
CONFIG=${CONFIG:-configs/smoke.yaml}
t0=$(date +%s)
log() { echo "[$(($(date +%s) - t0))s] $*"; }

[[ $(id -u) == 0 ]] || { echo "slurm-check: run as root (it starts munged, slurmctld and slurmd)" >&2; exit 2; }

# --- 0. packages -----------------------------------------------------------------------
need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- 1. a one-node cluster in a temporary folder --------------------------------------
tmp=$(mktemp -d /tmp/tomebench-slurm-check.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	local rc=$?
	set +e
	if [[ -n ${SLURM_CONF:-} ]] && command -v scancel >/dev/null; then
		scancel --quiet --user=root 2>/dev/null
	fi
	# Stop in reverse order: slurmd, slurmctld, munged; TERM, then KILL after 10 s.
	for ((k = ${#pids[@]} - 1; k >= 0; k--)); do
		kill -TERM "${pids[k]}" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if ((rc != 0)); then
		for f in "$tmp"/log/*.log; do
			[[ -f $f ]] || continue
			echo "--- last lines of $f"
			tail -n 15 "$f"
		done
	fi
	if [[ ${KEEP:-} == 1 ]]; then
		echo "slurm-check: kept $tmp"
	else
		rm -rf "$tmp"
	fi
	echo "slurm-check: stopped the daemons it started (${pids[*]:-none}); $(($(date +%s) - t0)) s in all"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp"/{munge,log,state,spool,runs}
chmod 700 "$tmp/munge"
host=$(hostname -s)

# munge: its own key and socket (the system's /etc/munge is left alone).
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 status=none
chmod 400 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.socket
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$sock" \
	--pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munge.seed" &
pids+=($!)
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
munge --socket="$sock" -n | unmunge --socket="$sock" >/dev/null || { echo "slurm-check: munge does not work" >&2; exit 1; }
log "munged up (pid ${pids[-1]})"

export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=tomebench-check
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
for port in 6817 6818; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "slurm-check: port $port is in use (another Slurm running?)" >&2
		exit 1
	fi
done
slurmctld -D -f "$SLURM_CONF" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" &
pids+=($!)
log "slurmctld (pid ${pids[-2]}) and slurmd (pid ${pids[-1]}) started; waiting for node $host"
state=
for _ in $(seq 60); do
	for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "slurm-check: daemon $pid died" >&2; exit 1; }; done
	state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
	[[ $state == idle ]] && break
	sleep 1
done
[[ $state == idle ]] || { echo "slurm-check: node $host is '$state', not idle" >&2; sinfo -N -l >&2 || true; exit 1; }
sinfo -N -o '%N %P %T %c'

# --- 2. the sharded runs ---------------------------------------------------------------
log "building bin/tomebench"
go build -o bin/tomebench ./cmd/tomebench
tb=$repo/bin/tomebench
runs=$tmp/runs
# The shipped script asks for 8 cores and 32G per shard; this node has 2 cores and no
# memory accounting: the command line overrides the #SBATCH placeholders.
sb=(sbatch --wait --array=0-1 --cpus-per-task=1 --mem=0 --time=00:30:00 --job-name=tomebench-check
	--output="$tmp/log/%x-%A_%a.out")
script=deploy/slurm/tomebench-array.sbatch
show_jobs() { # the array tasks' output files
	for f in "$tmp"/log/tomebench-check-*.out; do
		echo "    --- $(basename "$f")"
		grep -Ev '^(- |$)' "$f" | sed 's/^/    | /' # (the report's footnotes left out)
	done
	rm -f "$tmp"/log/tomebench-check-*.out
}

log "A: sbatch --array=0-1, one folder per shard (OUT_PATTERN)"
rcA=0
"${sb[@]}" --export="ALL,CONFIG=$CONFIG,OUT_PATTERN=$runs/A.shard-{i}-of-{n},TOMEBENCH=$tb" "$script" || rcA=$?
show_jobs
log "A: sbatch --wait exited $rcA; shard folders: $(cd "$runs" && echo A.shard-*)"
if ((rcA == 0)); then
	log "A: tomebench merge $runs/A.shard-0-of-2 $runs/A.shard-1-of-2 --out $runs/A.merged"
	"$tb" merge "$runs/A.shard-0-of-2" "$runs/A.shard-1-of-2" --out "$runs/A.merged" >"$tmp/log/merge.log" 2>&1 || rcA=$?
	grep -Ev '^(\||- |$)' "$tmp/log/merge.log" | sed 's/^/    | /' || true
fi

log "B: sbatch --array=0-1, one shared OUT folder"
rcB=0
"${sb[@]}" --export="ALL,CONFIG=$CONFIG,OUT=$runs/B.shared,TOMEBENCH=$tb" "$script" || rcB=$?
show_jobs
log "B: sbatch --wait exited $rcB"

log "reference: tomebench run $CONFIG --out $runs/whole (unsharded, no Slurm)"
rcW=0
"$tb" run "$CONFIG" --out "$runs/whole" --quiet >"$tmp/log/whole.log" 2>&1 || rcW=$?
grep -Ev '^(\||- |$)' "$tmp/log/whole.log" | sed 's/^/    | /' || true

# --- 3. compare ------------------------------------------------------------------------
fails=()
check() { # check NAME COND-COMMAND...
	local name=$1
	shift
	if "$@"; then echo "  ok    $name"; else echo "  FAIL  $name"; fails+=("$name"); fi
}
hashes() { (cd "$1" && find images -name '*.png' ! -name '.*' | sort | xargs -r sha256sum); }
records() { jq -c 'del(.seconds, .unet_seconds, .shard)' "$1"/records/images*.jsonl | sort; }
metrics() { jq -S '{reference: (.reference | del(.path)), weights, dims, method,
	variants: [.variants[] | {variant, images, fid, kid, fid_interval, psnr, ssim}] | sort_by(.variant)}' "$1/metrics.json"; }
want=$(jq '(.variants | length) * (.prompts.prompts | length)' "$runs/whole/plan.json" 2>/dev/null || echo '?')
same() { # same WHAT DIR: WHAT of DIR equals that of the unsharded run
	diff <("$1" "$runs/whole") <("$1" "$2") >"$tmp/diff" 2>&1 || { head -n 20 "$tmp/diff" | sed 's/^/        /'; return 1; }
}
compare() { # compare LABEL DIR
	local d=$2
	check "$1: $want images, every PNG byte-identical to the unsharded run's" \
		eval '[[ $(hashes "$d" | wc -l) == "$want" ]] && same hashes "$d"'
	check "$1: image records equal (timings and shard removed)" same records "$d"
	check "$1: records of both shards present" \
		eval '[[ -f $d/records/images.shard-0-of-2.jsonl && -f $d/records/images.shard-1-of-2.jsonl ]]'
	check "$1: metrics.json equal (FID, KID, PSNR, SSIM per variant)" eval '[[ -f $d/metrics.json ]] && same metrics "$d"'
	check "$1: report written" test -f "$d/report.html"
}
echo
echo "== comparison with the unsharded run ($want images)"
check "unsharded run: tomebench run exited 0" test "$rcW" == 0
check "unsharded run: metrics.json written" test -f "$runs/whole/metrics.json"
check "A (shard folders + merge): sbatch and merge exited 0" test "$rcA" == 0
check "A: each shard folder holds only its own records" \
	eval '[[ $(ls "$runs/A.shard-0-of-2/records") == *shard-0-of-2* && $(ls "$runs/A.shard-0-of-2/records") != *shard-1-of-2* ]]'
compare "A (shard folders + merge)" "$runs/A.merged"
check "B (shared OUT): sbatch exited 0" test "$rcB" == 0
compare "B (shared OUT)" "$runs/B.shared"
echo
echo "== metrics of the unsharded run"
jq -r '.variants[] | "  \(.variant)  FID \(.fid)  PSNR \(.psnr.mean // "-")  SSIM \(.ssim.mean // "-")"' "$runs/whole/metrics.json" 2>/dev/null || true
echo
if ((${#fails[@]})); then
	echo "slurm-check: FAIL (${#fails[@]} checks): ${fails[*]}"
	exit 1
fi
echo "slurm-check: PASS: sharded runs on Slurm (2-task array; shard folders + merge, and a shared folder) equal the unsharded run"
