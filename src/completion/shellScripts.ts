// Hand-written completion scripts, one per shell. Each is a thin shim that
// sends the words typed so far back to `deployer --completion complete` and
// hands the answer to the shell, so all the logic lives (and is tested) in
// TypeScript. A first line `:files` asks the shell to complete paths instead.

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

export function isCompletionShell(name: string): name is CompletionShell {
  return (COMPLETION_SHELLS as readonly string[]).includes(name);
}

/** The shell named by a `$SHELL` path such as /usr/bin/zsh, if we have a script for it. */
export function detectShell(shellPath: string | undefined): CompletionShell | undefined {
  const name = shellPath?.split('/').pop() ?? '';
  return isCompletionShell(name) ? name : undefined;
}

export function renderCompletionScript(shell: CompletionShell): string {
  return SCRIPTS[shell];
}

// bash splits `--host=web` into `--host` `=` `web` (COMP_WORDBREAKS); the
// complete command joins them again, so the words are passed as bash saw them.
const BASH = `# deployer completion for bash.
# Install: deployer completion bash > ~/.local/share/bash-completion/completions/deployer
#      or: echo 'source <(deployer completion bash)' >> ~/.bashrc
_deployer_completion() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a out
  out=($(deployer --completion complete --shell bash -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  if [[ \${out[0]} == ':files' ]]; then
    [[ $cur == '=' ]] && cur=''
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=("\${out[@]}")
  fi
}
complete -F _deployer_completion deployer
`;

// Works both sourced from .zshrc (after compinit) and installed as _deployer in $fpath.
const ZSH = `#compdef deployer
# deployer completion for zsh.
# Install: mkdir -p ~/.zfunc && deployer completion zsh > ~/.zfunc/_deployer
#          and in ~/.zshrc, before compinit: fpath+=(~/.zfunc)
#      or: echo 'source <(deployer completion zsh)' >> ~/.zshrc   (after compinit)
_deployer() {
  local -a out
  out=("\${(@f)$(deployer --completion complete --shell zsh -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ \${out[1]} == ':files' ]]; then
    _files
  elif [[ -n \${out[1]} ]]; then
    _describe -t values deployer out
  else
    return 1
  fi
}
if [[ \${funcstack[1]} == _deployer ]]; then
  _deployer "$@"
else
  compdef _deployer deployer
fi
`;

const FISH = `# deployer completion for fish.
# Install: deployer completion fish > ~/.config/fish/completions/deployer.fish
function __deployer_complete
    set -l before (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (deployer --completion complete --shell fish -- $before[2..-1] "$cur" 2>/dev/null)
    if test "$out[1]" = ':files'
        __fish_complete_path "$cur"
    else
        printf '%s\\n' $out
    end
end
complete -c deployer -f -a '(__deployer_complete)'
`;

const SCRIPTS: Record<CompletionShell, string> = { bash: BASH, zsh: ZSH, fish: FISH };
