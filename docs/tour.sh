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

run fieldwork demo --anchor 2027-03-01
run fieldwork run --days-ahead 7 --at 2027-03-02T07:00
run "fieldwork generate --from 2027-03-29 --to 2027-04-04 --at 2027-03-02T07:00 --batch-size 50 | tail -n 1"
run "fieldwork sla report --at 2027-03-02T07:00 | head -n 6"
run "fieldwork candidates --order SO-B0002 --at 2027-03-02T07:00 | head -n 7"
run "fieldwork schedule --from 2027-03-08 --to 2027-03-09 --at 2027-03-02T07:00 --budget-ms 1000 --quiet | head -n 3"
run "fieldwork bill --period 2027-03 | tail -n 1"
run fieldwork bill --period 2027-03 --quiet
run fieldwork export --out backup.json
run "fieldwork import backup.json --db copy.db | head -n 1"
run "fieldwork export --db copy.db --out copy.json && cmp copy.json backup.json && echo identical"
run fieldwork init --db fresh.db
run fieldwork export --db nothing.db
run fieldwork run --at 2027-03-09T07
run fieldwork board --from 2027-03-02 --to 2027-03-09 --at 2027-03-02T11:00 --out board.html
run fieldwork today --technician T-009 --date 2027-03-02 --at 2027-03-03T08:00
run fieldwork ics --technician T-009 --out t009.ics
run "sed -n '/BEGIN:VEVENT/,/END:VEVENT/p' t009.ics | head -n 11"
run "fieldwork sla report --at 2027-03-02T07:00 | sed -n '/^Compliance/,+8p'"
