#!/usr/bin/env bash
# Regenerates the translation catalogues from the sources and compiles them.
#
#   bash scripts/i18n.sh
#
# - extracts every marked string of src/escalade (Python + templates; migrations and vendored
#   static files excluded) into src/escalade/locale/<lang>/LC_MESSAGES/django.po for each shipped
#   language, keeping existing translations and dropping strings that left the sources
#   (--no-obsolete: no "#~" leftovers);
# - new strings arrive with an empty msgstr; strings whose msgid changed arrive fuzzy. Translate
#   them (tests/test_i18n.py fails, naming the file and the count, until you do);
# - compiles every .po into the .mo next to it. The .mo files are committed, so runtime needs no
#   gettext tools.
#
# Location comments are kept as "#: path" without line numbers (--add-location=file): translators
# still see where a string lives, and editing code above a string does not rewrite the catalogues.
# --no-wrap keeps one line per string, so a changed translation is a one-line diff.
# makemessages loads the settings (django.setup()), so the project must import cleanly.
# The script is idempotent: a catalogue whose only change is POT-Creation-Date is left untouched.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/src/escalade"
ADMIN="$ROOT/.venv/bin/django-admin"
LOCALES=(nb tr it pl zh_Hans)

for tool in xgettext msgmerge msguniq msgattrib msgfmt; do
  command -v "$tool" >/dev/null 2>&1 || { echo "i18n.sh: GNU gettext ($tool) is required" >&2; exit 1; }
done
[ -x "$ADMIN" ] || { echo "i18n.sh: $ADMIN not found (run make install)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export DJANGO_SETTINGS_MODULE=escalade.settings
export ESCALADE_HOME="$work/home"   # settings create files in the home folder; keep them out of the repo
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"

# Remember the current catalogues to undo date-only changes afterwards.
for loc in "${LOCALES[@]}"; do
  po="$PKG/locale/$loc/LC_MESSAGES/django.po"
  if [ -f "$po" ]; then mkdir -p "$work/before/$loc"; cp -p "$po" "$work/before/$loc/django.po"; fi
done

locale_args=()
for loc in "${LOCALES[@]}"; do locale_args+=(-l "$loc"); done

cd "$PKG"
mkdir -p locale
"$ADMIN" makemessages "${locale_args[@]}" \
  --domain django \
  --ignore 'migrations/*' --ignore '*/migrations/*' --ignore 'static/*' --ignore '*/static/*' \
  --ignore 'locale/*' \
  --add-location=file \
  --no-obsolete \
  --no-wrap

# djangojs: only when our own JavaScript (not the vendored bundles) marks strings.
if grep -rlE --include='*.js' '(n|p|np)?gettext\(' . 2>/dev/null | grep -v '/vendor/' | grep -q .; then
  "$ADMIN" makemessages "${locale_args[@]}" --domain djangojs \
    --ignore 'migrations/*' --ignore '*/vendor/*' --add-location=file --no-obsolete --no-wrap
fi

date_only() {  # true when the two catalogues differ only in POT-Creation-Date
  diff -q <(grep -v '^"POT-Creation-Date:' "$1") <(grep -v '^"POT-Creation-Date:' "$2") >/dev/null
}
for loc in "${LOCALES[@]}"; do
  po="locale/$loc/LC_MESSAGES/django.po"
  old="$work/before/$loc/django.po"
  if [ -f "$old" ] && date_only "$old" "$po"; then cp -p "$old" "$po"; fi
done

# Compile every catalogue (compilemessages also rejects broken format strings via msgfmt --check-format).
# compilemessages skips a .po older than its .mo, and a git checkout does not keep mtimes: touch the
# catalogues so every .mo is rebuilt (msgfmt output is deterministic, so unchanged .mo stay identical).
touch locale/*/LC_MESSAGES/*.po
"$ADMIN" compilemessages "${locale_args[@]}" --ignore '.venv'

# Summary: what is left to translate.
status=0
for loc in "${LOCALES[@]}"; do
  for po in locale/"$loc"/LC_MESSAGES/*.po; do
    stats="$(msgfmt --statistics -o /dev/null "$po" 2>&1)"
    echo "$po: $stats"
    case "$stats" in *untranslated*|*fuzzy*) status=1 ;; esac
  done
done
if [ "$status" -ne 0 ]; then
  echo "i18n.sh: some entries above are untranslated or fuzzy: translate them, then run this script again" >&2
fi
