# fish completion for smscli, generated from the app by scripts/gen_completions.py
# (the same text as `smscli completion fish`); do not edit. Install: copy it
# to ~/.config/fish/completions/smscli.fish.

# Commands, options and choices are completed by fish code alone; session ids and
# profile names by `smscli __complete KIND WORDS...` (1 s at most, silent on errors).

# The subcommands of the command path $argv[1], one a line.
function __smscli_subs
    switch $argv[1]
        case ''
            printf '%s\n' 'messages' 'tail' 'record' 'export' 'doctor' 'completion' 'sessions' 'history' 'emulator' 'config'
        case 'sessions'
            printf '%s\n' 'list' 'show' 'stats' 'watch'
        case 'history'
            printf '%s\n' 'list' 'show' 'messages' 'stats' 'export' 'search' 'import' 'prune'
        case 'emulator'
            printf '%s\n' 'serve'
        case 'config'
            printf '%s\n' 'show' 'init' 'profiles' 'use'
    end
end

# Whether option $argv[2] of command path $argv[1] takes a value.
function __smscli_takes_value
    switch "$argv[1]|$argv[2]"
        case '|--server' \
            '|--user' \
            '|--profile' \
            '|--ca-bundle' \
            '|--output' \
            '|-o' \
            '|--color' \
            '|--tz' \
            'messages|--start' \
            'messages|--limit' \
            'messages|--type' \
            'messages|-t' \
            'messages|--page-size' \
            'messages|--tail' \
            'messages|--interval' \
            'messages|--max-retries' \
            'messages|--cursor-file' \
            'messages|--view' \
            'messages|--export' \
            'messages|--format' \
            'messages|-F' \
            'messages|--output' \
            'messages|-o' \
            'messages|--color' \
            'messages|--tz' \
            'messages|--template' \
            'messages|--highlight' \
            'messages|--highlight-regex' \
            'tail|--state' \
            'tail|--customer' \
            'tail|--agent' \
            'tail|--type' \
            'tail|-t' \
            'tail|--tail' \
            'tail|--since' \
            'tail|--interval' \
            'tail|--max-retries' \
            'tail|--output' \
            'tail|-o' \
            'tail|--color' \
            'tail|--tz' \
            'tail|--template' \
            'tail|--highlight' \
            'tail|--highlight-regex' \
            'record|--archive' \
            'record|--interval' \
            'record|--max-retries' \
            'export|--format' \
            'export|-F' \
            'export|--tz' \
            'doctor|--output' \
            'doctor|-o' \
            'doctor|--color' \
            'sessions list|--state' \
            'sessions list|--output' \
            'sessions list|-o' \
            'sessions list|--color' \
            'sessions list|--tz' \
            'sessions list|--template' \
            'sessions list|--highlight' \
            'sessions list|--highlight-regex' \
            'sessions show|--output' \
            'sessions show|-o' \
            'sessions show|--color' \
            'sessions show|--tz' \
            'sessions stats|--state' \
            'sessions stats|--output' \
            'sessions stats|-o' \
            'sessions stats|--color' \
            'sessions stats|--tz' \
            'sessions watch|--interval' \
            'sessions watch|--max-retries' \
            'sessions watch|--output' \
            'sessions watch|-o' \
            'sessions watch|--color' \
            'sessions watch|--tz' \
            'sessions watch|--template' \
            'sessions watch|--highlight' \
            'sessions watch|--highlight-regex' \
            'history list|--state' \
            'history list|--customer' \
            'history list|--agent' \
            'history list|--since' \
            'history list|--until' \
            'history list|--archive' \
            'history list|--output' \
            'history list|-o' \
            'history list|--color' \
            'history list|--tz' \
            'history show|--archive' \
            'history show|--output' \
            'history show|-o' \
            'history show|--color' \
            'history show|--tz' \
            'history messages|--type' \
            'history messages|-t' \
            'history messages|--since' \
            'history messages|--until' \
            'history messages|--limit' \
            'history messages|--archive' \
            'history messages|--output' \
            'history messages|-o' \
            'history messages|--color' \
            'history messages|--tz' \
            'history stats|--state' \
            'history stats|--customer' \
            'history stats|--agent' \
            'history stats|--since' \
            'history stats|--until' \
            'history stats|--archive' \
            'history stats|--output' \
            'history stats|-o' \
            'history stats|--color' \
            'history stats|--tz' \
            'history export|--format' \
            'history export|-F' \
            'history export|--archive' \
            'history export|--tz' \
            'history search|--limit' \
            'history search|-n' \
            'history search|--session' \
            'history search|--type' \
            'history search|-t' \
            'history search|--state' \
            'history search|--customer' \
            'history search|--agent' \
            'history search|--since' \
            'history search|--until' \
            'history search|--archive' \
            'history search|--output' \
            'history search|-o' \
            'history search|--color' \
            'history search|--tz' \
            'history search|--template' \
            'history search|--highlight' \
            'history search|--highlight-regex' \
            'history import|--session' \
            'history import|--archive' \
            'history prune|--older-than' \
            'history prune|--archive' \
            'emulator serve|--host' \
            'emulator serve|--port' \
            'emulator serve|--user' \
            'emulator serve|--seed' \
            'emulator serve|--rate' \
            'emulator serve|--scenario' \
            'emulator serve|--cometd-timeout' \
            'emulator serve|--drop-rate' \
            'emulator serve|--error-rate' \
            'emulator serve|--delay' \
            'emulator serve|--duplicate-rate' \
            'emulator serve|--reorder-rate' \
            'emulator serve|--silent-rate' \
            'emulator serve|--restart-every' \
            'emulator serve|--expire-every' \
            'emulator serve|--big' \
            'config show|--output' \
            'config show|-o' \
            'config init|--profile-name' \
            'config profiles|--output' \
            'config profiles|-o'
            return 0
    end
    return 1
end

# Read the tokens before the cursor into __smscli_where: the command path, the number of
# positional arguments after it, and 1 when the next token is an option's value.
function __smscli_parse
    set -l tokens (commandline -opc)
    set -l key (string join \x1e -- $tokens)
    if set -q __smscli_where; and test "$key" = "$__smscli_key"
        return
    end
    set -l cmd ''
    set -l npos 0
    set -l pending 0
    set -l ddash 0
    for w in $tokens[2..-1]
        if test $pending = 1
            set pending 0
        else if test $ddash = 0; and test "$w" = --
            set ddash 1
        else if test $ddash = 0; and string match -qr -- '^-.' $w
            if not string match -q -- '*=*' $w; and __smscli_takes_value "$cmd" $w
                set pending 1
            end
        else if test $npos = 0; and contains -- $w (__smscli_subs "$cmd")
            set cmd (string trim -- "$cmd $w")
        else
            set npos (math $npos + 1)
        end
    end
    set -g __smscli_key $key
    set -g __smscli_where $cmd $npos $pending
end

# The options of command path $argv[1] apply here.
function __smscli_opt
    __smscli_parse
    test "$__smscli_where[1]" = "$argv[1]"
end

# A positional argument of command path $argv[1] is being completed: the Nth (from 0) for
# $argv[2] = N, the Nth or later for N+, any for none. Not for a word that starts an option,
# so that completing an option never runs the program.
function __smscli_arg
    string match -q -- '-*' (commandline -ct); and return 1
    __smscli_parse
    test "$__smscli_where[1]" = "$argv[1]" -a "$__smscli_where[3]" = 0; or return 1
    set -q argv[2]; or return 0
    set -l n (string trim -r -c + -- $argv[2])
    if string match -q -- '*+' $argv[2]
        test $__smscli_where[2] -ge $n
    else
        test $__smscli_where[2] -eq $n
    end
end

# Session ids or profile names, as value<TAB>description lines, from the program.
function __smscli_dynamic
    set -l tokens (commandline -opc)
    command smscli __complete $argv[1] $tokens[2..-1] 2>/dev/null
end

complete -c smscli -f

# smscli
complete -c smscli -n "__smscli_arg ''" -a 'messages' -d 'Dump a session\'s transcript (index, time, sender, type...'
complete -c smscli -n "__smscli_arg ''" -a 'tail' -d 'Follow every session at once: each new message as it...'
complete -c smscli -n "__smscli_arg ''" -a 'record' -d 'Keep every session of the agent in the local archive, until...'
complete -c smscli -n "__smscli_arg ''" -a 'export' -d 'Export a transcript to share: a conversation in Markdown or...'
complete -c smscli -n "__smscli_arg ''" -a 'doctor' -d 'Check the server, TLS, credentials, session, SMS feature...'
complete -c smscli -n "__smscli_arg ''" -a 'completion' -d 'Print the completion script for bash, zsh or fish (commands...'
complete -c smscli -n "__smscli_arg ''" -a 'sessions' -d 'List the agent\'s SMS sessions, show one, watch them live, or...'
complete -c smscli -n "__smscli_arg ''" -a 'history' -d 'The local archive of sessions (see smscli record), offline...'
complete -c smscli -n "__smscli_arg ''" -a 'emulator' -d 'Run the built-in GWS SMS emulator'
complete -c smscli -n "__smscli_arg ''" -a 'config' -d 'Profiles and settings: create, list, choose, show'
complete -c smscli -n "__smscli_opt ''" -l server -x -d 'GWS base URL, e.g. https://gws.example.com (env SMSCLI_SERVER)'
complete -c smscli -n "__smscli_opt ''" -l user -x -d 'GWS user name (env SMSCLI_USER)'
complete -c smscli -n "__smscli_opt ''" -l profile -x -a '(__smscli_dynamic profiles)' -d 'Profile from the config file (env SMSCLI_PROFILE)'
complete -c smscli -n "__smscli_opt ''" -l password-stdin -d 'Read the password from the first line of standard input'
complete -c smscli -n "__smscli_opt ''" -l ca-bundle -r -F -d 'CA certificates to verify the server\'s TLS certificate with...'
complete -c smscli -n "__smscli_opt ''" -l insecure -d 'Do not verify the server\'s TLS certificate (warns on every run)'
complete -c smscli -n "__smscli_opt ''" -l demo -d 'Run against a built-in GWS emulator with live demo traffic...'
complete -c smscli -n "__smscli_opt ''" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt ''" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt ''" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt ''" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt ''" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt ''" -l debug -d 'Trace HTTP exchanges (secrets redacted) and show tracebacks'
complete -c smscli -n "__smscli_opt ''" -l version -d 'Print the version and exit'
complete -c smscli -n "__smscli_opt ''" -s h -l help -d 'Show the help and exit'
# smscli messages
complete -c smscli -n "__smscli_opt 'messages'" -l start -x -d 'First message index to fetch (GWS startIndex)'
complete -c smscli -n "__smscli_opt 'messages'" -l limit -x -d 'Print at most N messages'
complete -c smscli -n "__smscli_opt 'messages'" -l type -s t -x -a 'Text ParticipantJoined ParticipantLeft ParticipantRejoined TypingStarted TypingStopped PushUrl Notice CustomNotice TranscriptSaveDone' -d 'Only messages of this type (repeatable), e.g. Text'
complete -c smscli -n "__smscli_opt 'messages'" -l no-typing -d 'Leave out TypingStarted and TypingStopped'
complete -c smscli -n "__smscli_opt 'messages'" -l page-size -x -d 'Messages per request (GWS count)'
complete -c smscli -n "__smscli_opt 'messages'" -l full -d 'Show long messages whole in table output (default: a preview)'
complete -c smscli -n "__smscli_opt 'messages'" -l follow -s f -d 'After the history, print new messages as they arrive, until...'
complete -c smscli -n "__smscli_opt 'messages'" -l tail -x -d 'With --follow: show only the last N messages of the history'
complete -c smscli -n "__smscli_opt 'messages'" -l no-history -d 'With --follow: show only messages that arrive from now on'
complete -c smscli -n "__smscli_opt 'messages'" -l events -d 'With --follow -o ndjson: also print session state...'
complete -c smscli -n "__smscli_opt 'messages'" -l poll -d 'With --follow: poll the transcript instead of using CometD...'
complete -c smscli -n "__smscli_opt 'messages'" -l interval -x -d 'Seconds between polls (with --poll, or when CometD is not...'
complete -c smscli -n "__smscli_opt 'messages'" -l max-retries -x -d 'With --follow: give up (exit 6) after N failed reconnects in...'
complete -c smscli -n "__smscli_opt 'messages'" -l cursor-file -r -F -d 'With --follow: remember the last message printed in this...'
complete -c smscli -n "__smscli_opt 'messages'" -l view -x -a 'table chat' -d 'table, or chat: the customer on the left, agents on the...'
complete -c smscli -n "__smscli_opt 'messages'" -l typing -d 'Show TypingStarted and TypingStopped in the chat view and in...'
complete -c smscli -n "__smscli_opt 'messages'" -l redact -d 'Mask phone numbers, e-mail addresses and long digit runs...'
complete -c smscli -n "__smscli_opt 'messages'" -l export -r -F -d 'Write the transcript to FILE instead (.md, .html, .csv or...'
complete -c smscli -n "__smscli_opt 'messages'" -l format -s F -x -a 'md html csv json' -d 'md, html, csv or json'
complete -c smscli -n "__smscli_opt 'messages'" -l no-pager -d 'Do not page a long table on a terminal (see SMSCLI_PAGER)'
complete -c smscli -n "__smscli_opt 'messages'" -l output -s o -x -a 'table plain json ndjson template' -d 'Output format: table, plain, json, ndjson, or template (see...'
complete -c smscli -n "__smscli_opt 'messages'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'messages'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'messages'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'messages'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'messages'" -l template -x -d 'One line per item from TEMPLATE over the item\'s JSON, e.g....'
complete -c smscli -n "__smscli_opt 'messages'" -l highlight -x -d 'Mark TEXT (any case) where it shows in human output...'
complete -c smscli -n "__smscli_opt 'messages'" -l highlight-regex -x -d 'Mark what REGEX matches, as --highlight (repeatable); one...'
complete -c smscli -n "__smscli_opt 'messages'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'messages' 0" -a '(__smscli_dynamic sessions)'
# smscli tail
complete -c smscli -n "__smscli_opt 'tail'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable), e.g. Chatting; a...'
complete -c smscli -n "__smscli_opt 'tail'" -l customer -x -d 'Only sessions with a customer whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'tail'" -l agent -x -d 'Only sessions with an agent whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'tail'" -l type -s t -x -a 'Text ParticipantJoined ParticipantLeft ParticipantRejoined TypingStarted TypingStopped PushUrl Notice CustomNotice TranscriptSaveDone' -d 'Only messages of this type (repeatable), e.g. Text'
complete -c smscli -n "__smscli_opt 'tail'" -l no-typing -d 'Leave out TypingStarted and TypingStopped'
complete -c smscli -n "__smscli_opt 'tail'" -l tail -x -d 'Begin each session with the last N messages of its history'
complete -c smscli -n "__smscli_opt 'tail'" -l since -x -d 'Begin each session with its messages from this time on: a...'
complete -c smscli -n "__smscli_opt 'tail'" -l poll -d 'Poll the session list and transcripts instead of using...'
complete -c smscli -n "__smscli_opt 'tail'" -l interval -x -d 'Seconds between polls (with --poll, or when CometD is not...'
complete -c smscli -n "__smscli_opt 'tail'" -l max-retries -x -d 'Give up (exit 6) after N failed reconnects in a row'
complete -c smscli -n "__smscli_opt 'tail'" -l output -s o -x -a 'table plain json ndjson template' -d 'Output format: table, plain, json, ndjson, or template (see...'
complete -c smscli -n "__smscli_opt 'tail'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'tail'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'tail'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'tail'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'tail'" -l template -x -d 'One line per item from TEMPLATE over the item\'s JSON, e.g....'
complete -c smscli -n "__smscli_opt 'tail'" -l highlight -x -d 'Mark TEXT (any case) where it shows in human output...'
complete -c smscli -n "__smscli_opt 'tail'" -l highlight-regex -x -d 'Mark what REGEX matches, as --highlight (repeatable); one...'
complete -c smscli -n "__smscli_opt 'tail'" -s h -l help -d 'Show the help and exit'
# smscli record
complete -c smscli -n "__smscli_opt 'record'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'record'" -l redact -d 'Store phone numbers, e-mail addresses and long digit runs...'
complete -c smscli -n "__smscli_opt 'record'" -l poll -d 'Poll the session list and transcripts instead of using...'
complete -c smscli -n "__smscli_opt 'record'" -l interval -x -d 'Seconds between polls (with --poll, or when CometD is not...'
complete -c smscli -n "__smscli_opt 'record'" -l max-retries -x -d 'Give up (exit 6) after N failed reconnects in a row'
complete -c smscli -n "__smscli_opt 'record'" -s h -l help -d 'Show the help and exit'
# smscli export
complete -c smscli -n "__smscli_opt 'export'" -l format -s F -x -a 'md html csv json' -d 'md, html, csv or json'
complete -c smscli -n "__smscli_opt 'export'" -l redact -d 'Mask phone numbers, e-mail addresses and long digit runs...'
complete -c smscli -n "__smscli_opt 'export'" -l typing -d 'Include TypingStarted and TypingStopped events (an export...'
complete -c smscli -n "__smscli_opt 'export'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'export'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'export'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'export' 0" -a '(__smscli_dynamic sessions)'
complete -c smscli -n "__smscli_arg 'export' 1" -F
# smscli doctor
complete -c smscli -n "__smscli_opt 'doctor'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'doctor'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'doctor'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'doctor'" -s h -l help -d 'Show the help and exit'
# smscli completion
complete -c smscli -n "__smscli_opt 'completion'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'completion' 0" -a 'bash zsh fish'
# smscli sessions
complete -c smscli -n "__smscli_arg 'sessions'" -a 'list' -d 'The agent\'s SMS sessions: id, state, customer, agents...'
complete -c smscli -n "__smscli_arg 'sessions'" -a 'show' -d 'One session: summary, participants, capabilities and user data'
complete -c smscli -n "__smscli_arg 'sessions'" -a 'stats' -d 'Conversation metrics per session and over all of them: first...'
complete -c smscli -n "__smscli_arg 'sessions'" -a 'watch' -d 'Watch the agent\'s sessions arrive, change state and end...'
complete -c smscli -n "__smscli_opt 'sessions'" -s h -l help -d 'Show the help and exit'
# smscli sessions list
complete -c smscli -n "__smscli_opt 'sessions list'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable), e.g. Chatting'
complete -c smscli -n "__smscli_opt 'sessions list'" -l quiet -s q -d 'Print only the ids'
complete -c smscli -n "__smscli_opt 'sessions list'" -l output -s o -x -a 'table plain json ndjson template' -d 'Output format: table, plain, json, ndjson, or template (see...'
complete -c smscli -n "__smscli_opt 'sessions list'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'sessions list'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'sessions list'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'sessions list'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'sessions list'" -l template -x -d 'One line per item from TEMPLATE over the item\'s JSON, e.g....'
complete -c smscli -n "__smscli_opt 'sessions list'" -l highlight -x -d 'Mark TEXT (any case) where it shows in human output...'
complete -c smscli -n "__smscli_opt 'sessions list'" -l highlight-regex -x -d 'Mark what REGEX matches, as --highlight (repeatable); one...'
complete -c smscli -n "__smscli_opt 'sessions list'" -s h -l help -d 'Show the help and exit'
# smscli sessions show
complete -c smscli -n "__smscli_opt 'sessions show'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'sessions show'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'sessions show'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'sessions show'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'sessions show'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'sessions show'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'sessions show' 0" -a '(__smscli_dynamic sessions)'
# smscli sessions stats
complete -c smscli -n "__smscli_opt 'sessions stats'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable), e.g. Completed'
complete -c smscli -n "__smscli_opt 'sessions stats'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'sessions stats'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'sessions stats'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'sessions stats'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'sessions stats'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'sessions stats'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'sessions stats' 0+" -a '(__smscli_dynamic sessions)'
# smscli sessions watch
complete -c smscli -n "__smscli_opt 'sessions watch'" -l poll -d 'Poll the session list and transcripts instead of using...'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l interval -x -d 'Seconds between polls (with --poll, or when CometD is not...'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l max-retries -x -d 'Give up (exit 6) after N failed reconnects in a row'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l output -s o -x -a 'table plain json ndjson template' -d 'Output format: table (redrawn in place), plain (one line per...'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l template -x -d 'One line per item from TEMPLATE over the item\'s JSON, e.g....'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l highlight -x -d 'Mark TEXT (any case) where it shows in human output...'
complete -c smscli -n "__smscli_opt 'sessions watch'" -l highlight-regex -x -d 'Mark what REGEX matches, as --highlight (repeatable); one...'
complete -c smscli -n "__smscli_opt 'sessions watch'" -s h -l help -d 'Show the help and exit'
# smscli history
complete -c smscli -n "__smscli_arg 'history'" -a 'list' -d 'The archived sessions, oldest first: as sessions list shows...'
complete -c smscli -n "__smscli_arg 'history'" -a 'show' -d 'One archived session as sessions show has it, then (table...'
complete -c smscli -n "__smscli_arg 'history'" -a 'messages' -d 'An archived transcript, as messages ID prints the server\'s...'
complete -c smscli -n "__smscli_arg 'history'" -a 'stats' -d 'Conversation metrics of archived sessions, as sessions stats...'
complete -c smscli -n "__smscli_arg 'history'" -a 'export' -d 'Export an archived transcript, as smscli export writes the...'
complete -c smscli -n "__smscli_arg 'history'" -a 'search' -d 'Messages that say something, newest first: session, time...'
complete -c smscli -n "__smscli_arg 'history'" -a 'import' -d 'Add transcripts to the archive; a message already there is...'
complete -c smscli -n "__smscli_arg 'history'" -a 'prune' -d 'Delete old sessions for good: their messages, states and...'
complete -c smscli -n "__smscli_opt 'history'" -s h -l help -d 'Show the help and exit'
# smscli history list
complete -c smscli -n "__smscli_opt 'history list'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable)'
complete -c smscli -n "__smscli_opt 'history list'" -l customer -x -d 'Only sessions with a customer whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history list'" -l agent -x -d 'Only sessions with an agent whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history list'" -l since -x -d 'Only from this time on: a span back from now (2h, 7d) or a...'
complete -c smscli -n "__smscli_opt 'history list'" -l until -x -d 'Only up to this time (same forms as --since)'
complete -c smscli -n "__smscli_opt 'history list'" -l quiet -s q -d 'Print only the ids'
complete -c smscli -n "__smscli_opt 'history list'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history list'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'history list'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'history list'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'history list'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history list'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history list'" -s h -l help -d 'Show the help and exit'
# smscli history show
complete -c smscli -n "__smscli_opt 'history show'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history show'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'history show'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'history show'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'history show'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history show'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history show'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'history show' 0" -a '(__smscli_dynamic sessions)'
# smscli history messages
complete -c smscli -n "__smscli_opt 'history messages'" -l type -s t -x -a 'Text ParticipantJoined ParticipantLeft ParticipantRejoined TypingStarted TypingStopped PushUrl Notice CustomNotice TranscriptSaveDone' -d 'Only messages of this type (repeatable), e.g. Text'
complete -c smscli -n "__smscli_opt 'history messages'" -l no-typing -d 'Leave out TypingStarted and TypingStopped'
complete -c smscli -n "__smscli_opt 'history messages'" -l since -x -d 'Only from this time on: a span back from now (2h, 7d) or a...'
complete -c smscli -n "__smscli_opt 'history messages'" -l until -x -d 'Only up to this time (same forms as --since)'
complete -c smscli -n "__smscli_opt 'history messages'" -l limit -x -d 'Print at most N messages'
complete -c smscli -n "__smscli_opt 'history messages'" -l full -d 'Show long messages whole in table output (default: a preview)'
complete -c smscli -n "__smscli_opt 'history messages'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history messages'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'history messages'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'history messages'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'history messages'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history messages'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history messages'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'history messages' 0" -a '(__smscli_dynamic sessions)'
# smscli history stats
complete -c smscli -n "__smscli_opt 'history stats'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable)'
complete -c smscli -n "__smscli_opt 'history stats'" -l customer -x -d 'Only sessions with a customer whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history stats'" -l agent -x -d 'Only sessions with an agent whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history stats'" -l since -x -d 'Only from this time on: a span back from now (2h, 7d) or a...'
complete -c smscli -n "__smscli_opt 'history stats'" -l until -x -d 'Only up to this time (same forms as --since)'
complete -c smscli -n "__smscli_opt 'history stats'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history stats'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'history stats'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'history stats'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'history stats'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history stats'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history stats'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'history stats' 0+" -a '(__smscli_dynamic sessions)'
# smscli history export
complete -c smscli -n "__smscli_opt 'history export'" -l format -s F -x -a 'md html csv json' -d 'md, html, csv or json'
complete -c smscli -n "__smscli_opt 'history export'" -l redact -d 'Mask phone numbers, e-mail addresses and long digit runs...'
complete -c smscli -n "__smscli_opt 'history export'" -l typing -d 'Include TypingStarted and TypingStopped events (an export...'
complete -c smscli -n "__smscli_opt 'history export'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history export'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history export'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history export'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'history export' 0" -a '(__smscli_dynamic sessions)'
complete -c smscli -n "__smscli_arg 'history export' 1" -F
# smscli history search
complete -c smscli -n "__smscli_opt 'history search'" -l limit -s n -x -d 'Show the newest N hits'
complete -c smscli -n "__smscli_opt 'history search'" -l session -x -a '(__smscli_dynamic sessions)' -d 'Only in this session'
complete -c smscli -n "__smscli_opt 'history search'" -l type -s t -x -a 'Text ParticipantJoined ParticipantLeft ParticipantRejoined TypingStarted TypingStopped PushUrl Notice CustomNotice TranscriptSaveDone' -d 'Only messages of this type (repeatable), e.g. Text'
complete -c smscli -n "__smscli_opt 'history search'" -l state -x -a 'Invited Chatting LeftChat Completed Revoked' -d 'Only sessions in this state (repeatable)'
complete -c smscli -n "__smscli_opt 'history search'" -l customer -x -d 'Only sessions with a customer whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history search'" -l agent -x -d 'Only sessions with an agent whose nickname holds NAME...'
complete -c smscli -n "__smscli_opt 'history search'" -l since -x -d 'Only from this time on: a span back from now (2h, 7d) or a...'
complete -c smscli -n "__smscli_opt 'history search'" -l until -x -d 'Only up to this time (same forms as --since)'
complete -c smscli -n "__smscli_opt 'history search'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history search'" -l output -s o -x -a 'table plain json ndjson template' -d 'Output format: table, plain, json, ndjson, or template (see...'
complete -c smscli -n "__smscli_opt 'history search'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'history search'" -l color -x -a 'auto always never' -d 'Colour in table output: auto, always or never'
complete -c smscli -n "__smscli_opt 'history search'" -l utc -d 'Show times in UTC'
complete -c smscli -n "__smscli_opt 'history search'" -l tz -x -a '(__smscli_dynamic zones)' -d 'Show times in this IANA time zone, e.g. Europe/Paris'
complete -c smscli -n "__smscli_opt 'history search'" -l template -x -d 'One line per item from TEMPLATE over the item\'s JSON, e.g....'
complete -c smscli -n "__smscli_opt 'history search'" -l highlight -x -d 'Mark TEXT (any case) where it shows in human output...'
complete -c smscli -n "__smscli_opt 'history search'" -l highlight-regex -x -d 'Mark what REGEX matches, as --highlight (repeatable); one...'
complete -c smscli -n "__smscli_opt 'history search'" -s h -l help -d 'Show the help and exit'
# smscli history import
complete -c smscli -n "__smscli_opt 'history import'" -l session -x -a '(__smscli_dynamic sessions)' -d 'The session the messages belong to'
complete -c smscli -n "__smscli_opt 'history import'" -l redact -d 'Mask phone numbers, e-mail addresses and long digit runs...'
complete -c smscli -n "__smscli_opt 'history import'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history import'" -s h -l help -d 'Show the help and exit'
# smscli history prune
complete -c smscli -n "__smscli_opt 'history prune'" -l older-than -x -d 'Delete the sessions with no sign of life in this span, e.g....'
complete -c smscli -n "__smscli_opt 'history prune'" -l archive -r -F -d 'The archive file (env SMSCLI_ARCHIVE)'
complete -c smscli -n "__smscli_opt 'history prune'" -s h -l help -d 'Show the help and exit'
# smscli emulator
complete -c smscli -n "__smscli_arg 'emulator'" -a 'serve' -d 'Serve a GWS-compatible SMS API with demo sessions and live...'
complete -c smscli -n "__smscli_opt 'emulator'" -s h -l help -d 'Show the help and exit'
# smscli emulator serve
complete -c smscli -n "__smscli_opt 'emulator serve'" -l host -x -d 'Address to bind; loopback unless you mean it'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l port -x -d 'Port to listen on; 0 picks a free one'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l user -x -d 'The user name the emulator accepts'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l seed -x -d 'Seed for the demo data and traffic, for repeatable runs'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l rate -x -d 'Demo traffic: new messages per second across chatting...'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l scenario -x -d 'Data to serve: \'demo\', \'hostile\' (escape sequences, bidi...'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l csrf -d 'Require GWS CSRF tokens on POSTs'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l cometd-timeout -x -d 'Seconds a CometD long-poll is held when there is nothing to send'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l drop-rate -x -d 'Fault: share of responses cut off mid-body (0-1)'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l error-rate -x -d 'Fault: share of requests answered 500 or 503 (0-1)'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l delay -x -d 'Fault: seconds added before each answer'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l duplicate-rate -x -d 'Fault: share of CometD events delivered twice (0-1)'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l reorder-rate -x -d 'Fault: share of CometD replies with two events swapped (0-1)'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l silent-rate -x -d 'Fault: share of traffic messages added without any...'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l restart-every -x -d 'Fault: every N seconds forget all CometD clients, as a...'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l expire-every -x -d 'Fault: every N seconds expire all HTTP sessions (0: never)'
complete -c smscli -n "__smscli_opt 'emulator serve'" -l big -x -d 'Add a completed session with N messages (repeatable), id...'
complete -c smscli -n "__smscli_opt 'emulator serve'" -s h -l help -d 'Show the help and exit'
# smscli config
complete -c smscli -n "__smscli_arg 'config'" -a 'show' -d 'Effective settings (flags, SMSCLI_* environment, profile...'
complete -c smscli -n "__smscli_arg 'config'" -a 'init' -d 'Create a profile by answering questions: server, user, TLS...'
complete -c smscli -n "__smscli_arg 'config'" -a 'profiles' -d 'List the profiles of the config file; * marks the default one'
complete -c smscli -n "__smscli_arg 'config'" -a 'use' -d 'Make NAME the default profile'
complete -c smscli -n "__smscli_opt 'config'" -s h -l help -d 'Show the help and exit'
# smscli config show
complete -c smscli -n "__smscli_opt 'config show'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'config show'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'config show'" -s h -l help -d 'Show the help and exit'
# smscli config init
complete -c smscli -n "__smscli_opt 'config init'" -l profile-name -x -d 'Name of the profile to create or replace'
complete -c smscli -n "__smscli_opt 'config init'" -s h -l help -d 'Show the help and exit'
# smscli config profiles
complete -c smscli -n "__smscli_opt 'config profiles'" -l output -s o -x -a 'table plain json ndjson' -d 'Output format: table, plain, json or ndjson'
complete -c smscli -n "__smscli_opt 'config profiles'" -l json -d 'Short for --output json'
complete -c smscli -n "__smscli_opt 'config profiles'" -s h -l help -d 'Show the help and exit'
# smscli config use
complete -c smscli -n "__smscli_opt 'config use'" -s h -l help -d 'Show the help and exit'
complete -c smscli -n "__smscli_arg 'config use' 0" -a '(__smscli_dynamic profiles)'
