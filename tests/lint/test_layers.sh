#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The layer rule of userspace/ (userspace/layers.mk, drawn in docs/architecture.md):
# a folder's #include "dir/..." lines name only itself and the folders its LAYER_
# line lists, and a *_int.h header is included only from its own folder or one
# its INTERNAL_ line names. Every file is read; one TAP line per folder.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MK=$ROOT/userspace/layers.mk
# $(var) of layers.mk, as make would read a plain `NAME := words` line.
mkvar() { sed -n "s/^$1[[:space:]]*:=[[:space:]]*//p" "$MK"; }

layers=$(mkvar LAYERS)
[ -n "$layers" ] || { echo "Bail out! no LAYERS in $MK"; exit 1; }
dirs=$(cd "$ROOT/userspace" && ls -d */ | tr -d /)
echo "1..$(($(wc -w <<<"$dirs") + 1))"

# Every folder is a layer of the rule (a new one must be placed in it).
unplaced=
for d in $dirs; do
	grep -qw "$d" <<<"$layers" || unplaced="$unplaced $d"
done
if [ -z "$unplaced" ]; then echo "ok 1 - every folder of userspace/ is a layer in layers.mk"
else echo "not ok 1 - folders missing from layers.mk:$unplaced"; fi

n=1
for d in $dirs; do
	n=$((n + 1))
	allowed=" $d $(mkvar "LAYER_$d") "
	bad=
	while IFS=: read -r file line inc; do
		[ -n "$file" ] || continue
		target=${inc%%/*}
		if [ "$target" = "$inc" ]; then   # a library's header ("llhttp.h"), unless it is one of ours
			[ -e "$ROOT/userspace/$d/$inc" ] && bad="$bad\n  $file:$line: \"$inc\": name it by its folder, \"$d/$inc\""
			continue
		fi
		case " $(mkvar LAYERS) " in *" $target "*) ;; *) continue ;; esac   # not a layer (sluice/, bpf/)
		if [[ "$allowed" != *" $target "* ]]; then
			bad="$bad\n  $file:$line: $d/ may not include $inc (layer $target is not below it)"
		elif [[ "$inc" == *_int.h ]] && [ "$target" != "$d" ] &&
		     [[ " $(mkvar "INTERNAL_$target") " != *" $d "* ]]; then
			bad="$bad\n  $file:$line: $d/ may not include $inc (internal to $target/)"
		fi
	done < <(cd "$ROOT/userspace" && grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$d"/*.[ch] |
		 sed 's/^\([^:]*\):\([0-9]*\):.*include[[:space:]]*"\([^"]*\)".*/\1:\2:\3/')
	if [ -z "$bad" ]; then
		echo "ok $n - $d/ includes only: $(mkvar "LAYER_$d" | sed 's/^$/(nothing)/')"
	else
		echo "not ok $n - $d/ reaches outside its layer"
		printf "$bad\n" | sed '/^$/d; s/^/#/'
	fi
done
