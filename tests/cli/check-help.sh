#!/bin/sh
# --help names every option with an example, and --version answers.
# usage: check-help.sh HYPERMEM_RUN
help=$("$1" --help) || { echo "FAIL: --help exit code $?"; exit 1; }
for opt in --guest --kernel --initrd --append --cpus --mem --timeout \
	   --cmdline --vmm --accel --arch --qemu-socket --json --quiet --verbose \
	   --config --plugin-arg --version --help hm.on_user_event; do
	if ! printf '%s\n' "$help" | grep -q -- "$opt"; then
		echo "FAIL: --help does not mention $opt"
		exit 1
	fi
done
for example in '--guest ' '--kernel ' '--cpus 2' '--mem 128' '--timeout 5' \
	       '--cmdline scenario=' '--vmm qemu ' '--vmm qemu --accel tcg ' \
	       '--vmm qemu --arch aarch64 ' \
	       '--qemu-socket ' '--json |' '-q ' '-v' '--config ' \
	       '--plugin-arg '; do
	if ! printf '%s\n' "$help" | grep -qF -- "hypermem-run $example"; then
		echo "FAIL: --help has no example with: $example"
		exit 1
	fi
done
"$1" --version | grep -q '^hypermem-run [0-9]' || {
	echo "FAIL: --version"; exit 1; }
echo "PASS"
