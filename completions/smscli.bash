# bash completion for smscli, generated from the app by scripts/gen_completions.py
# (the same text as `smscli completion bash`); do not edit. Install: source it from
# ~/.bashrc, or copy it to ~/.local/share/bash-completion/completions/smscli.

# Commands, options and choices are completed by shell code alone; session ids and
# profile names by `smscli __complete KIND WORDS...` (1 s at most, silent on errors).

# The subcommands of the command path $1, in reply.
__smscli_subs() {
    case $1 in
        '') reply=('messages' 'tail' 'record' 'export' 'doctor' 'completion' 'sessions' 'history'
            'emulator' 'config') ;;
        'sessions') reply=('list' 'show' 'stats' 'watch') ;;
        'history') reply=('list' 'show' 'messages' 'stats' 'export' 'search' 'import' 'prune') ;;
        'emulator') reply=('serve') ;;
        'config') reply=('show' 'init' 'profiles' 'use') ;;
        *) reply=() ;;
    esac
}

# The options of the command path $1, in reply.
__smscli_opts() {
    case $1 in
        '')
            reply=('--server' '--user' '--profile' '--password-stdin' '--ca-bundle'
                   '--insecure' '--demo' '--output' '-o' '--json' '--color' '--utc' '--tz'
                   '--debug' '--version' '-h' '--help') ;;
        'messages')
            reply=('--start' '--limit' '--type' '-t' '--no-typing' '--page-size' '--full'
                   '--follow' '-f' '--tail' '--no-history' '--events' '--poll' '--interval'
                   '--max-retries' '--cursor-file' '--view' '--typing' '--redact' '--export'
                   '--format' '-F' '--no-pager' '--output' '-o' '--json' '--color' '--utc'
                   '--tz' '--template' '--highlight' '--highlight-regex' '-h' '--help') ;;
        'tail')
            reply=('--state' '--customer' '--agent' '--type' '-t' '--no-typing' '--tail'
                   '--since' '--poll' '--interval' '--max-retries' '--output' '-o' '--json'
                   '--color' '--utc' '--tz' '--template' '--highlight' '--highlight-regex'
                   '-h' '--help') ;;
        'record')
            reply=('--archive' '--redact' '--poll' '--interval' '--max-retries' '-h' '--help') ;;
        'export')
            reply=('--format' '-F' '--redact' '--typing' '--utc' '--tz' '-h' '--help') ;;
        'doctor')
            reply=('--output' '-o' '--json' '--color' '-h' '--help') ;;
        'completion')
            reply=('-h' '--help') ;;
        'sessions')
            reply=('-h' '--help') ;;
        'sessions list')
            reply=('--state' '--quiet' '-q' '--output' '-o' '--json' '--color' '--utc' '--tz'
                   '--template' '--highlight' '--highlight-regex' '-h' '--help') ;;
        'sessions show')
            reply=('--output' '-o' '--json' '--color' '--utc' '--tz' '-h' '--help') ;;
        'sessions stats')
            reply=('--state' '--output' '-o' '--json' '--color' '--utc' '--tz' '-h' '--help') ;;
        'sessions watch')
            reply=('--poll' '--interval' '--max-retries' '--output' '-o' '--json' '--color'
                   '--utc' '--tz' '--template' '--highlight' '--highlight-regex' '-h'
                   '--help') ;;
        'history')
            reply=('-h' '--help') ;;
        'history list')
            reply=('--state' '--customer' '--agent' '--since' '--until' '--quiet' '-q'
                   '--archive' '--output' '-o' '--json' '--color' '--utc' '--tz' '-h'
                   '--help') ;;
        'history show')
            reply=('--archive' '--output' '-o' '--json' '--color' '--utc' '--tz' '-h'
                   '--help') ;;
        'history messages')
            reply=('--type' '-t' '--no-typing' '--since' '--until' '--limit' '--full'
                   '--archive' '--output' '-o' '--json' '--color' '--utc' '--tz' '-h'
                   '--help') ;;
        'history stats')
            reply=('--state' '--customer' '--agent' '--since' '--until' '--archive'
                   '--output' '-o' '--json' '--color' '--utc' '--tz' '-h' '--help') ;;
        'history export')
            reply=('--format' '-F' '--redact' '--typing' '--archive' '--utc' '--tz' '-h'
                   '--help') ;;
        'history search')
            reply=('--limit' '-n' '--session' '--type' '-t' '--state' '--customer' '--agent'
                   '--since' '--until' '--archive' '--output' '-o' '--json' '--color' '--utc'
                   '--tz' '--template' '--highlight' '--highlight-regex' '-h' '--help') ;;
        'history import')
            reply=('--session' '--redact' '--archive' '-h' '--help') ;;
        'history prune')
            reply=('--older-than' '--archive' '-h' '--help') ;;
        'emulator')
            reply=('-h' '--help') ;;
        'emulator serve')
            reply=('--host' '--port' '--user' '--seed' '--rate' '--scenario' '--csrf'
                   '--cometd-timeout' '--drop-rate' '--error-rate' '--delay'
                   '--duplicate-rate' '--reorder-rate' '--silent-rate' '--restart-every'
                   '--expire-every' '--big' '-h' '--help') ;;
        'config')
            reply=('-h' '--help') ;;
        'config show')
            reply=('--output' '-o' '--json' '-h' '--help') ;;
        'config init')
            reply=('--profile-name' '-h' '--help') ;;
        'config profiles')
            reply=('--output' '-o' '--json' '-h' '--help') ;;
        'config use')
            reply=('-h' '--help') ;;
        *) reply=() ;;
    esac
}

# What option $2 of command path $1 takes: REPLY is choice (reply: the choices),
# dynamic (reply: the kind for __complete), file, dir or text; fails for a flag.
__smscli_value() {
    case "$1|$2" in
        '|--server'|'|--user'|'messages|--start'|'messages|--limit'|'messages|--page-size'|\
        'messages|--tail'|'messages|--interval'|'messages|--max-retries'|'messages|--template'|\
        'messages|--highlight'|'messages|--highlight-regex'|'tail|--customer'|'tail|--agent'|\
        'tail|--tail'|'tail|--since'|'tail|--interval'|'tail|--max-retries'|'tail|--template'|\
        'tail|--highlight'|'tail|--highlight-regex'|'record|--interval'|'record|--max-retries'|\
        'sessions list|--template'|'sessions list|--highlight'|'sessions list|--highlight-regex'|\
        'sessions watch|--interval'|'sessions watch|--max-retries'|'sessions watch|--template'|\
        'sessions watch|--highlight'|'sessions watch|--highlight-regex'|'history list|--customer'|\
        'history list|--agent'|'history list|--since'|'history list|--until'|\
        'history messages|--since'|'history messages|--until'|'history messages|--limit'|\
        'history stats|--customer'|'history stats|--agent'|'history stats|--since'|\
        'history stats|--until'|'history search|--limit'|'history search|-n'|\
        'history search|--customer'|'history search|--agent'|'history search|--since'|\
        'history search|--until'|'history search|--template'|'history search|--highlight'|\
        'history search|--highlight-regex'|'history prune|--older-than'|'emulator serve|--host'|\
        'emulator serve|--port'|'emulator serve|--user'|'emulator serve|--seed'|\
        'emulator serve|--rate'|'emulator serve|--scenario'|'emulator serve|--cometd-timeout'|\
        'emulator serve|--drop-rate'|'emulator serve|--error-rate'|'emulator serve|--delay'|\
        'emulator serve|--duplicate-rate'|'emulator serve|--reorder-rate'|\
        'emulator serve|--silent-rate'|'emulator serve|--restart-every'|\
        'emulator serve|--expire-every'|'emulator serve|--big'|'config init|--profile-name')
            REPLY=text reply=() ;;
        '|--profile')
            REPLY=dynamic reply=(profiles) ;;
        '|--ca-bundle'|'messages|--cursor-file'|'messages|--export'|'record|--archive'|\
        'history list|--archive'|'history show|--archive'|'history messages|--archive'|\
        'history stats|--archive'|'history export|--archive'|'history search|--archive'|\
        'history import|--archive'|'history prune|--archive')
            REPLY=file reply=() ;;
        '|--output'|'|-o'|'doctor|--output'|'doctor|-o'|'sessions show|--output'|\
        'sessions show|-o'|'sessions stats|--output'|'sessions stats|-o'|'history list|--output'|\
        'history list|-o'|'history show|--output'|'history show|-o'|'history messages|--output'|\
        'history messages|-o'|'history stats|--output'|'history stats|-o'|'config show|--output'|\
        'config show|-o'|'config profiles|--output'|'config profiles|-o')
            REPLY=choice reply=('table' 'plain' 'json' 'ndjson') ;;
        '|--color'|'messages|--color'|'tail|--color'|'doctor|--color'|'sessions list|--color'|\
        'sessions show|--color'|'sessions stats|--color'|'sessions watch|--color'|\
        'history list|--color'|'history show|--color'|'history messages|--color'|\
        'history stats|--color'|'history search|--color')
            REPLY=choice reply=('auto' 'always' 'never') ;;
        '|--tz'|'messages|--tz'|'tail|--tz'|'export|--tz'|'sessions list|--tz'|\
        'sessions show|--tz'|'sessions stats|--tz'|'sessions watch|--tz'|'history list|--tz'|\
        'history show|--tz'|'history messages|--tz'|'history stats|--tz'|'history export|--tz'|\
        'history search|--tz')
            REPLY=dynamic reply=(zones) ;;
        'messages|--type'|'messages|-t'|'tail|--type'|'tail|-t'|'history messages|--type'|\
        'history messages|-t'|'history search|--type'|'history search|-t')
            REPLY=choice reply=('Text' 'ParticipantJoined' 'ParticipantLeft' 'ParticipantRejoined'
            'TypingStarted' 'TypingStopped' 'PushUrl' 'Notice' 'CustomNotice'
            'TranscriptSaveDone') ;;
        'messages|--view')
            REPLY=choice reply=('table' 'chat') ;;
        'messages|--format'|'messages|-F'|'export|--format'|'export|-F'|'history export|--format'|\
        'history export|-F')
            REPLY=choice reply=('md' 'html' 'csv' 'json') ;;
        'messages|--output'|'messages|-o'|'tail|--output'|'tail|-o'|'sessions list|--output'|\
        'sessions list|-o'|'sessions watch|--output'|'sessions watch|-o'|\
        'history search|--output'|'history search|-o')
            REPLY=choice reply=('table' 'plain' 'json' 'ndjson' 'template') ;;
        'tail|--state'|'sessions list|--state'|'sessions stats|--state'|'history list|--state'|\
        'history stats|--state'|'history search|--state')
            REPLY=choice reply=('Invited' 'Chatting' 'LeftChat' 'Completed' 'Revoked') ;;
        'history search|--session'|'history import|--session')
            REPLY=dynamic reply=(sessions) ;;
        *) return 1 ;;
    esac
}

# What positional argument $2 (from 0) of command path $1 takes, as __smscli_value.
__smscli_arg() {
    case "$1|$2" in
        'messages|0') REPLY=dynamic reply=(sessions) ;;
        'export|0') REPLY=dynamic reply=(sessions) ;;
        'export|1') REPLY=file reply=() ;;
        'completion|0') REPLY=choice reply=('bash' 'zsh' 'fish') ;;
        'sessions show|0') REPLY=dynamic reply=(sessions) ;;
        'sessions stats|'*) REPLY=dynamic reply=(sessions) ;;
        'history show|0') REPLY=dynamic reply=(sessions) ;;
        'history messages|0') REPLY=dynamic reply=(sessions) ;;
        'history stats|'*) REPLY=dynamic reply=(sessions) ;;
        'history export|0') REPLY=dynamic reply=(sessions) ;;
        'history export|1') REPLY=file reply=() ;;
        'history search|0') REPLY=text reply=() ;;
        'history import|'*) REPLY=text reply=() ;;
        'config use|0') REPLY=dynamic reply=(profiles) ;;
        *) return 1 ;;
    esac
}

# Add the candidates that start with $1, cut to the part of the word bash replaces: the text
# after the last = or : when COMP_WORDBREAKS splits words there.
__smscli_add() {
    local typed=$1 cut='' head ch c
    shift
    for ch in = :; do
        [[ $COMP_WORDBREAKS == *"$ch"* && $typed == *"$ch"* ]] || continue
        head=${typed%"$ch"*}$ch
        ((${#head} > ${#cut})) && cut=$head
    done
    for c; do
        [[ $c == "$typed"* ]] && COMPREPLY+=("${c#"$cut"}")
    done
}

# Complete a value described by REPLY and reply; $1 is the text typed so far, $2 what precedes
# it in the same word (--output=).
__smscli_values() {
    local typed=$1 before=$2 out id rest
    local -a found=()
    case $REPLY in
        choice) __smscli_add "$before$typed" "${reply[@]/#/$before}" ;;
        dynamic)
            out=$(command smscli __complete "${reply[0]}" "${words[@]:1}" 2>/dev/null) || return 0
            while IFS=$'\t' read -r id rest; do
                [[ -n $id ]] || continue
                printf -v id %q "$id"
                found+=("$before$id")
            done <<<"$out"
            __smscli_add "$before$typed" "${found[@]}"
            ;;
        file) compopt -o default 2>/dev/null ;;
        dir) compopt -o dirnames 2>/dev/null ;;
    esac
}

_smscli() {
    local IFS=$' \t\n' line cur cmd='' pending='' w REPLY
    local -a words reply
    local -i i npos=0 ddash=0
    COMPREPLY=()
    # The words as typed, split at blanks (COMP_WORDS splits URLs at ':' and options at '=').
    if [[ -v COMP_LINE ]]; then
        line=${COMP_LINE:0:COMP_POINT}
    else
        line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
    fi
    read -ra words <<<"$line"
    if [[ -z $line || $line == *[[:blank:]] ]]; then
        cur=''
    else
        cur=${words[-1]}
        unset 'words[-1]'
    fi
    for ((i = 1; i < ${#words[@]}; i++)); do
        w=${words[i]}
        if [[ -n $pending ]]; then
            pending=''
        elif ((!ddash)) && [[ $w == -- ]]; then
            ddash=1
        elif ((!ddash)) && [[ $w == -?* ]]; then
            [[ $w != *=* ]] && __smscli_value "$cmd" "$w" && pending=$w
        elif ((npos == 0)) && __smscli_subs "$cmd" && [[ " ${reply[*]} " == *" $w "* ]]; then
            cmd=${cmd:+$cmd }$w
        else
            npos+=1
        fi
    done
    if [[ -n $pending ]]; then
        __smscli_value "$cmd" "$pending" && __smscli_values "$cur" ''
    elif ((!ddash)) && [[ $cur == --*=* ]]; then
        __smscli_value "$cmd" "${cur%%=*}" && __smscli_values "${cur#*=}" "${cur%%=*}="
    elif ((!ddash)) && [[ $cur == -* ]]; then
        __smscli_opts "$cmd"
        __smscli_add "$cur" "${reply[@]}"
    else
        __smscli_subs "$cmd"
        if ((${#reply[@]})); then
            __smscli_add "$cur" "${reply[@]}"
        elif __smscli_arg "$cmd" "$npos"; then
            __smscli_values "$cur" ''
        fi
    fi
    return 0
}

complete -F _smscli smscli
