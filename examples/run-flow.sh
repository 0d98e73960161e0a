#!/usr/bin/env bash
# padan — the whole flow, step by step, on synthetic data (no real person, no real NIK).
#
# Three organisations, each in its own folder, each seeing only its own files:
#   disdukcapil-serang/  registry owner (SIAK export)
#   dinkes-serang/       list owner (CKG health list)
#   koordinator/         neutral coordinator (sees only encoded packages)
# Files move between folders only where a real agency would send them.
#
# Usage: examples/run-flow.sh [WORKDIR]        (default: ./padan-example; must be new or empty)
# Environment:
#   PADAN                the command to run padan (default: uv run padan, from this source tree)
#   PADAN_EXAMPLE_PEOPLE registry size of the synthetic data (default: 500)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PADAN="${PADAN:-uv run --project $ROOT padan}"
PEOPLE="${PADAN_EXAMPLE_PEOPLE:-500}"
WORK="${1:-./padan-example}"

# For this example only: one passphrase for every key. In real use leave PADAN_PASSPHRASE
# unset; padan then asks for each organisation's own passphrase at a hidden prompt.
export PADAN_PASSPHRASE="contoh-saja-bukan-rahasia"

if [ -e "$WORK" ] && [ -n "$(ls -A "$WORK")" ]; then
    echo "error: $WORK is not empty; remove it or give another folder" >&2
    exit 1
fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
REG="$WORK/disdukcapil-serang"
LIST="$WORK/dinkes-serang"
COORD="$WORK/koordinator"
mkdir -p "$REG" "$LIST" "$COORD"

# Run padan inside one organisation's folder, so its audit log (padan-audit.jsonl) is there.
as() {
    local folder="$1"
    shift
    (cd "$folder" && $PADAN "$@")
}
step() { printf '\n== %s\n' "$*"; }

step "1. Kunci setiap instansi (each organisation makes its keys)"
as "$REG" keys new --org disdukcapil-serang --role owner --out kunci
as "$LIST" keys new --org dinkes-serang --role owner --out kunci
as "$COORD" keys new --org koordinator --role coordinator --out kunci

step "2. Tukar kartu identitas publik (exchange public identity cards)"
# In real use each card travels by e-mail and its fingerprint is read out by phone
# (padan keys show CARD) before it goes into the trust folder.
for folder in "$REG" "$LIST" "$COORD"; do
    mkdir -p "$folder/kartu"
    cp "$REG"/kunci/*.card.json "$LIST"/kunci/*.card.json "$COORD"/kunci/*.card.json "$folder/kartu/"
done

step "3. Disdukcapil membuat rahasia penautan, tersegel untuk kedua pemilik data"
as "$REG" secret new --key kunci/disdukcapil-serang.key \
    --to kartu/disdukcapil-serang.card.json --to kartu/dinkes-serang.card.json --out rahasia
mkdir -p "$LIST/rahasia"
mv "$REG/rahasia/dinkes-serang.secret" "$LIST/rahasia/"   # sent to Dinkes; only it can open it

step "4. Data sintetis (synthetic data: registry for Disdukcapil, CKG list for Dinkes)"
$PADAN synth --out "$WORK/sintetis" --people "$PEOPLE" --seed 7
cp "$WORK/sintetis/siak.csv" "$REG/"
cp "$WORK/sintetis/ckg.csv" "$LIST/"

step "5. Setiap pemilik menyandikan datanya sendiri (each owner encodes locally)"
as "$REG" encode siak.csv --key kunci/disdukcapil-serang.key \
    --secret rahasia/disdukcapil-serang.secret --profile siak --role registry --out paket/siak.padan
as "$LIST" encode ckg.csv --key kunci/dinkes-serang.key \
    --secret rahasia/dinkes-serang.secret --profile ckg --role list --out paket/ckg.padan
mkdir -p "$COORD/masuk"
cp "$REG/paket/siak.padan" "$LIST/paket/ckg.padan" "$COORD/masuk/"   # only the packages leave

step "6. Koordinator memadankan paket (the coordinator links the packages)"
as "$COORD" inspect masuk/siak.padan --trust kartu
as "$COORD" link masuk/siak.padan masuk/ckg.padan --key kunci/koordinator.key \
    --trust kartu --out hasil --seed 1
cp "$COORD/hasil/disdukcapil-serang.result" "$REG/"
cp "$COORD/hasil/dinkes-serang.result" "$LIST/"

step "7. Setiap pemilik membuat daftar kerjanya (each owner reconciles its own result)"
as "$REG" reconcile disdukcapil-serang.result --key kunci/disdukcapil-serang.key \
    --keymap paket/siak.keymap.parquet --trust kartu --input siak.csv --out daftar-kerja-siak.xlsx
as "$LIST" reconcile dinkes-serang.result --key kunci/dinkes-serang.key \
    --keymap paket/ckg.keymap.parquet --trust kartu --input ckg.csv --out daftar-kerja-ckg.xlsx

step "8. Evaluasi terhadap kebenaran sintetis (only possible because the data are synthetic)"
(cd "$WORK" && $PADAN evaluate --truth sintetis/truth.csv \
    --worklist disdukcapil-serang/daftar-kerja-siak.xlsx \
    --worklist dinkes-serang/daftar-kerja-ckg.xlsx --json evaluasi.json)

step "9. Putaran koreksi dengan PKS (correction round under a formal agreement)"
as "$REG" disclose --key kunci/disdukcapil-serang.key --worklist daftar-kerja-siak.xlsx \
    --to kartu/dinkes-serang.card.json --trust kartu --all-matched \
    --out keluar/koreksi-dinkes-serang.sealed
cp "$REG/keluar/koreksi-dinkes-serang.sealed" "$LIST/"
as "$LIST" apply koreksi-dinkes-serang.sealed --key kunci/dinkes-serang.key --trust kartu \
    --worklist daftar-kerja-ckg.xlsx --out ckg-terkoreksi.csv --log ckg-perubahan.csv

step "Selesai (done): $WORK"
echo "Disdukcapil: $REG/daftar-kerja-siak.xlsx"
echo "Dinkes:      $LIST/daftar-kerja-ckg.xlsx, $LIST/ckg-terkoreksi.csv, $LIST/ckg-perubahan.csv"
echo "Audit logs:  $REG/padan-audit.jsonl, $LIST/padan-audit.jsonl, $COORD/padan-audit.jsonl"
