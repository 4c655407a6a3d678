#!/usr/bin/env bash
# Re-runs the README's tours as a new user at the repository root sees them (the shipped
# `rules/` folder present, so every command uses it), in a scratch copy of the root, and prints
# each command with its real output. Usage: bash docs/tour.sh [BINARY] > /tmp/tour.txt
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/target/release/fieldwork}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp -r "$root/rules" "$dir/rules"
cd "$dir"
fieldwork() { "$bin" "$@"; }
run() { echo "\$ $*"; eval "$@" 2>&1; echo; }
shots=${SHOTS:-}
shot() { # shot HTML PNG: a headless Chromium screenshot of a board page (optional)
  [ -n "$shots" ] && [ -x /usr/bin/chromium ] || return 0
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$dir/chrome" --hide-scrollbars --window-size=1600,1100 \
    --screenshot="$shots/$2" "file://$dir/$1" >/dev/null 2>&1
}

run fieldwork demo --anchor 2027-03-01
run fieldwork run --days-ahead 7 --at 2027-03-02T07:00
run "fieldwork generate --from 2027-03-29 --to 2027-04-04 --at 2027-03-02T07:00 --batch-size 50 | tail -n 1"
run "fieldwork sla report --at 2027-03-02T07:00 | head -n 6"
run "fieldwork candidates --order SO-B0002 --at 2027-03-02T07:00 | head -n 7"
run "fieldwork schedule --from 2027-03-08 --to 2027-03-09 --at 2027-03-02T07:00 --budget-ms 1000 --quiet | head -n 3"
run "fieldwork bill --period 2027-03 | tail -n 1"
run fieldwork bill --period 2027-03 --quiet
run fieldwork export --out backup.json
run "fieldwork import backup.json --mode replace --db copy.db | head -n 1"
run "fieldwork export --db copy.db --out copy.json --quiet && cmp copy.json backup.json && echo identical"
run "fieldwork import backup.json --mode replace    # over the live database"
run fieldwork init --db fresh.db
run fieldwork export --db nothing.db
run fieldwork run --at 2027-03-09T07
run fieldwork board --from 2027-03-02 --to 2027-03-09 --at 2027-03-02T11:00 --out board.html
shot board.html board.png
run fieldwork today --technician T-009 --date 2027-03-02 --at 2027-03-03T08:00
run fieldwork ics --technician T-009 --out t009.ics --at 2027-03-03T08:00
run "sed -n '/BEGIN:VEVENT/,/END:VEVENT/p' t009.ics | head -n 11"
run "fieldwork sla report --at 2027-03-02T07:00 | sed -n '/^Compliance/,+8p'"

# ---- Field constraints (README "Field constraints"): a site open only on Wednesdays, a sick day.
fieldwork demo-data --anchor 2027-03-01 --out demo.json -q
python3 - <<'PY'
import json
d = json.load(open('demo.json'))
d['calendars'].append({"id": "wed-09-13", "time_zone": "Europe/Berlin", "weekly": {"wed": [["09:00", "13:00"]]}})
customer = next(o['customer'] for o in d['orders'] if o['id'] == 'SO-B0002')
next(c for c in d['customers'] if c['id'] == customer)['visiting_hours'] = 'wed-09-13'
json.dump(d, open('site.json', 'w'))
PY
run "fieldwork candidates --dataset site.json --order SO-B0002 --at 2027-03-01T07:00 | head -n 9"
python3 - <<'PY'
import json
d = json.load(open('demo.json'))
t = next(t for t in d['technicians'] if t['id'] == 'T-007')
del t['skills']['fire']
t['certifications'] = [{"skill": "fire", "level": 4, "valid_to": "2027-02-26"}]
json.dump(d, open('cert.json', 'w'))
PY
run "fieldwork candidates --dataset cert.json --order SO-B0002 --at 2027-03-01T07:00 | grep -E '^1 |T-007'"
rm -f fieldwork.db fieldwork.db-wal fieldwork.db-shm
fieldwork demo --anchor 2027-03-01 --quiet >/dev/null
# ---- Parts and tools in the van (README "Parts and tools"): a day that starts at the depot.
run "fieldwork today --technician T-023 --date 2027-03-02 | head -n 8"
run fieldwork absence add --technician T-009 --day 2027-03-02 --reason sick --at 2027-03-01T11:00
run fieldwork absence list

# ---- Multi-day and crew jobs (README "Multi-day and crew jobs"): the demo's two-day chiller
# replacement (SO-M0001) and its two-technician lift inspection (SO-C0001).
run "fieldwork candidates --order SO-C0001 --at 2027-03-01T11:00 | sed -n '/^crew job/,/^\$/p'"
run "fieldwork order show SO-C0001 --at 2027-03-01T11:00 | grep planned"
run "fieldwork order show SO-M0001 --at 2027-03-01T11:00 | grep planned"
multi=$("$bin" order show SO-M0001 --at 2027-03-01T11:00 --json | jq -r '.visits[1] | .technician + " " + .start[0:10]')
run fieldwork today --technician ${multi% *} --date ${multi#* } --at 2027-03-01T11:00

# ---- Running the day (README "Running the day" and "Stable plans"): operations, a re-run and
# its diff, a re-run five minutes later, and the board before and after (screenshots when Chromium is present).
rm -f fieldwork.db fieldwork.db-wal fieldwork.db-shm
run "fieldwork demo --anchor 2027-03-01 --quiet"
run "fieldwork board --from 2027-03-02 --to 2027-03-02 --at 2027-03-02T07:00 --out before.html"
shot before.html board-before.png
first=$("$bin" today --technician T-009 --date 2027-03-02 --at 2027-03-02T07:00 --json | jq -r '.stops[0].order')
second=$("$bin" today --technician T-009 --date 2027-03-02 --at 2027-03-02T07:00 --json | jq -r '.stops[1].order')
run fieldwork order start "$first" --at 2027-03-02T08:20 -q
run fieldwork order complete "$first" --at 2027-03-02T09:05 -q
run fieldwork order start "$second" --at 2027-03-02T10:00 -q
run fieldwork order hold "$second" --at 2027-03-02T10:40 --reason "'waiting for parts'" -q
run fieldwork order complete "$second" --at 2027-03-02T11:00
run fieldwork order resume "$second" --at 2027-03-02T11:20 -q
run fieldwork order complete "$second" --at 2027-03-02T11:50 -q
run "fieldwork run --days-ahead 7 --at 2027-03-02T12:00 --quiet"
run "fieldwork run --days-ahead 7 --at 2027-03-02T12:05 --quiet"
run "fieldwork board --from 2027-03-02 --to 2027-03-02 --at 2027-03-02T12:05 --out after.html"
shot after.html board-after.png

# ---- Booking a window with the customer (README "Booking a window"): the first visit planned
# after Tuesday (T-009's, else the first technician's who has one) is offered other windows, the
# second is booked, the next run keeps it.
booked=null
for t in T-009 $(seq -f "T-%03g" 1 40); do
  for d in 2027-03-03 2027-03-04 2027-03-05; do
    [ "$booked" = null ] || break
    booked=$("$bin" today --technician $t --date $d --at 2027-03-02T12:05 --json | jq -r '.stops[0].order')
  done
done
run fieldwork slots --order "$booked" --at 2027-03-02T12:10 --days 5 --count 4
run fieldwork order book "$booked" --slot 2 --days 5 --count 4 --at 2027-03-02T12:11
run "fieldwork run --days-ahead 7 --at 2027-03-02T12:15 --quiet"
run "fieldwork order show $booked --at 2027-03-02T12:16 | sed -n '3,5p'"
