#!/usr/bin/env bash
# install-deps.sh: install what cdkpush's end-to-end test rig (internal/rig) runs:
#   dockerd (+ containerd, runc)  Debian package docker.io
#   docker-registry               Debian package docker-registry
#   htpasswd                      Debian package apache2-utils
#   moto_server 5.2               python package moto[server]; must be preinstalled
# Only missing packages are installed, so a second run is fast. Prints one line per
# component with its version; exits 1 if anything is missing afterwards.
set -euo pipefail

if [[ ${EUID} -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E bash "$0" "$@"
	fi
	echo "install-deps.sh: must run as root (apt-get install), and sudo is not available" >&2
	exit 1
fi

# program -> Debian package
declare -A pkg_of=(
	[dockerd]=docker.io
	[containerd]=docker.io
	[runc]=docker.io
	[docker-registry]=docker-registry
	[htpasswd]=apache2-utils
)

missing=()
for prog in dockerd containerd runc docker-registry htpasswd; do
	if ! command -v "${prog}" >/dev/null 2>&1; then
		pkg=${pkg_of[${prog}]}
		[[ " ${missing[*]-} " == *" ${pkg} "* ]] || missing+=("${pkg}")
	fi
done

if ((${#missing[@]} > 0)); then
	echo "install-deps.sh: installing ${missing[*]}"
	# Keep the packages' init scripts from starting a system dockerd or a registry on
	# :5000 during the install (Debian's policy-rc.d convention), unless a policy exists.
	policy=/usr/sbin/policy-rc.d
	own_policy=false
	if [[ ! -e ${policy} ]]; then
		printf '#!/bin/sh\nexit 101\n' >"${policy}"
		chmod 755 "${policy}"
		own_policy=true
	fi
	cleanup_policy() { if [[ ${own_policy} == true ]]; then rm -f "${policy}"; fi; }
	trap cleanup_policy EXIT
	apt-get update
	DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
		apt-get install -y --no-install-recommends "${missing[@]}"
	cleanup_policy
	trap - EXIT

	# The rig runs its own daemons; a distro service left running is not needed. Stop
	# it if it was started anyway (only the services these packages own).
	for svc in docker docker-registry; do
		if [[ -x /etc/init.d/${svc} ]] && /etc/init.d/"${svc}" status >/dev/null 2>&1; then
			echo "install-deps.sh: stopping the distro ${svc} service (the rig starts its own)"
			if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
				systemctl disable --now "${svc}" || true
			else
				/etc/init.d/"${svc}" stop || true
			fi
		fi
	done
	if command -v ss >/dev/null 2>&1 && ss -ltn 'sport = :5000' | grep -q LISTEN; then
		echo "install-deps.sh: note: something listens on :5000 (maybe the distro registry);" \
			"harmless, the rig picks free ports"
	fi
fi

status=0
for prog in dockerd containerd runc docker-registry htpasswd; do
	if ! command -v "${prog}" >/dev/null 2>&1; then
		echo "install-deps.sh: ERROR: ${prog} still missing after installing" \
			"${pkg_of[${prog}]}" >&2
		status=1
	fi
done

if ((status == 0)); then
	echo "dockerd:         $(dockerd --version)"
	echo "containerd:      $(containerd --version)"
	echo "runc:            $(runc --version | head -n1)"
	echo "docker-registry: $(docker-registry --version)"
	echo "htpasswd:        apache2-utils $(dpkg-query -W -f='${Version}' apache2-utils \
		2>/dev/null || echo '(version unknown)')"
fi

moto_error() {
	cat >&2 <<-EOF
		################################################################################
		install-deps.sh: ERROR: moto_server is missing or broken: $1
		The test rig needs moto 5.2 (python package 'moto[server]') already installed
		on this machine, with moto_server on PATH. It cannot be installed here: PyPI is
		unreachable from this project's machines and CI. Use a machine image that ships
		moto 5.2 (the 'go' image does, under pyenv).
		################################################################################
	EOF
}

if ! command -v moto_server >/dev/null 2>&1; then
	moto_error "moto_server not found on PATH (PATH=${PATH})"
	exit 1
fi
if ! moto_server --help >/dev/null 2>&1; then
	moto_error "'moto_server --help' failed: $(moto_server --help 2>&1 | tail -n 3)"
	exit 1
fi
# moto_server has no --version: ask the Python interpreter its script runs under.
moto_script=$(command -v moto_server)
if command -v pyenv >/dev/null 2>&1 && pyenv which moto_server >/dev/null 2>&1; then
	moto_script=$(pyenv which moto_server)
fi
moto_python=$(head -n1 "${moto_script}" | sed -n 's/^#! *//p' | awk '{print $1}')
moto_version=$("${moto_python:-python3}" -c 'import moto; print(moto.__version__)' \
	2>/dev/null || echo unknown)
echo "moto_server:     moto ${moto_version} (${moto_script})"
if [[ ${moto_version} != 5.2.* ]]; then
	echo "install-deps.sh: WARNING: the rig was written for moto 5.2, found ${moto_version}" >&2
fi

exit "${status}"
