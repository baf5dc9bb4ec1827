# SPDX-License-Identifier: GPL-2.0
# bash completion for port53guard(8): subcommands and their options, setting
# names and values, entries of the list for "exempt del", interfaces for
# dev:NAME and "dev IF", file names where a command takes a file.
# Needs nothing but bash (not the bash-completion package).

_port53guard_interfaces() {
	local d
	for d in /sys/class/net/*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
}

# _port53guard_files CUR [-]: file names, and - (standard input) if asked.
_port53guard_files() {
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$1")
	[[ -n ${2-} && ( -z $1 || $1 == - ) ]] && COMPREPLY+=(-)
}

_port53guard() {
	local line=${COMP_LINE:0:COMP_POINT} cur sub cword w
	local -a words opts=()

	# Split on blanks only: "dev:eth0" is one word here, whatever
	# COMP_WORDBREAKS says about ':'.
	read -ra words <<<"$line"
	[[ $line == *[[:blank:]] || ${#words[@]} -eq 0 ]] && words+=("")
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	sub=${words[1]-}
	COMPREPLY=()

	if ((cword == 1)); then
		opts=(status exempt set save restore listeners verify reset-counters fallback help --help --version)
	else
		w=${words[cword - 1]}
		case $sub in
		help)
			((cword == 2)) && opts=(status exempt set save restore listeners verify reset-counters fallback) ;;
		reset-counters)
			opts=(-w --wait --help) ;;
		status)
			case $w in
			--format) opts=(text json prometheus) ;;
			-o) _port53guard_files "$cur"; return ;;
			*) opts=(--json --format -o --help) ;;
			esac ;;
		save)
			[[ $w == -o ]] && { _port53guard_files "$cur"; return; }
			opts=(--modprobe -o --help) ;;
		fallback)
			if [[ $cur == -* ]]; then
				opts=(--print --remove --unit --help)
			else
				_port53guard_files "$cur" -
				return
			fi ;;
		restore)
			if [[ $cur == -* ]]; then
				opts=(--check --strict --allow-empty --boot -w --wait --help)
			else
				_port53guard_files "$cur" -
				return
			fi ;;
		verify)
			[[ $w == --saved ]] && { _port53guard_files "$cur"; return; }
			opts=(--json --probe --saved --help) ;;
		listeners)
			opts=(--json --help) ;;
		set)
			case $cword in
			2) opts=(enabled action tcp loopback log rate forward authoritative) ;;
			3) case ${words[2]} in
			   enabled|tcp|loopback|log|forward|authoritative) opts=(1 0 on off yes no) ;;
			   action) opts=(reject drop monitor) ;;
			   esac ;;
			esac ;;
		exempt)
			if ((cword == 2)); then
				opts=(list add del flush replace check --help)
			else
				case ${words[2]} in
				list)
					opts=(--json --help) ;;
				add)
					if [[ $cur == -* ]]; then
						opts=(--exist -w --wait --help)
					else
						mapfile -t opts < <(_port53guard_interfaces | sed 's/^/dev:/')
					fi ;;
				del)
					if [[ $cur == -* ]]; then
						opts=(--exist -w --wait --help)
					else
						mapfile -t opts < <(port53guard exempt list 2>/dev/null)
					fi ;;
				replace)
					if [[ $cur == -* ]]; then
						opts=(--check --strict --allow-empty)
					else
						_port53guard_files "$cur" -
						return
					fi ;;
				check)
					((cword == 4)) && opts=(dev)
					((cword == 5)) && [[ ${words[4]} == dev ]] &&
						mapfile -t opts < <(_port53guard_interfaces) ;;
				esac
			fi ;;
		esac
	fi
	while IFS= read -r w; do
		[[ -n $w ]] && COMPREPLY+=("$w")
	done < <(compgen -W "${opts[*]}" -- "$cur")
	# bash replaces only what follows the last ':' of the word
	if [[ $cur == *:* ]]; then
		w=${cur%"${cur##*:}"}
		COMPREPLY=("${COMPREPLY[@]#"$w"}")
	fi
}

complete -F _port53guard port53guard
