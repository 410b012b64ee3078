# SPDX-License-Identifier: MIT
# Sourced by the fetch scripts: apt-get and apt-cache on a private list,
# state and cache (the machine's apt sources and dpkg state stay as they
# are; root is not needed), and the unpacking of packages into a folder.

# apt_setup DIR ARCH SUITE...: a private apt for Debian's SUITEs (main) in
# DIR, for packages of ARCH; then apt_do runs its tools there.
apt_setup() {
	apt_dir=$1 apt_arch=$2
	shift 2
	mkdir -p "$apt_dir/sources.list.d" "$apt_dir/preferences.d" \
		"$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
	for suite in "$@"; do
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
			"http://deb.debian.org/debian $suite main"
	done >"$apt_dir/sources.list"
	: >"$apt_dir/status"
}

# No lock on the machine's dpkg; apt downloads as the caller, whose private
# folders the _apt user could not write.
apt_do() {
	tool=$1
	shift
	"$tool" -o "Dir::Etc::SourceList=$apt_dir/sources.list" \
		-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d" \
		-o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d" \
		-o "Dir::State=$apt_dir/state" \
		-o "Dir::State::status=$apt_dir/status" \
		-o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1 \
		-o "APT::Sandbox::User=$(id -un)" \
		-o "APT::Architecture=$apt_arch" \
		-o "APT::Architectures=$apt_arch" "$@"
}

# The packages point into / with absolute links; point them into ROOT.
relink_into() {
	root=$1
	find "$root" -type l | while read -r link; do
		target=$(readlink "$link")
		case $target in
		/*)
			ln -sfn "$(realpath -ms --relative-to="$(dirname "$link")" \
				"$root$target")" "$link" ;;
		esac
	done
}
