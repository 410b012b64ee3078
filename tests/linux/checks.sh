# SPDX-License-Identifier: MIT
# The checks the linux and qemu suites' shell tests share, sourced: each
# prints "ok - WHAT" or "not ok - WHAT" and counts the failures.
failures=0

check() {
	what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		failures=$((failures + 1))
	fi
}

# has FILE TEXT, lacks FILE TEXT: whether FILE holds TEXT.
has() {
	grep -qF -- "$2" "$1"
}

lacks() {
	! grep -qF -- "$2" "$1"
}

not_grep() {
	! grep "$@"
}
