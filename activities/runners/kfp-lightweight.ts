import { pipInstallsOf } from './python-envs';

/**
 * A KFP lightweight Python component's launch, taken apart: what its `sh` preamble installs,
 * and what the program after it runs (`python3 -m <module> --component_module_path <file holding
 * source> <executorArgs…>`).
 */
export interface KfpLightweightLaunch {
  /** The arguments of each `python3 -m pip install` of the preamble, in order; empty without a preamble. */
  installs: string[][];
  /** `kfp.dsl.executor_main`, or `kfp.components.executor_main` before kfp 2.0.1. */
  module: string;
  /** Whether the program sets `_KFP_RUNTIME=true` for the executor (kfp ≥ 2.1), which changes what `import kfp` loads. */
  kfpRuntime: boolean;
  /** The component's Python source (`ephemeral_component.py`). */
  source: string;
  /** Everything after the source: `--executor_input <json> --function_to_execute <name>`, as resolved. */
  executorArgs: string[];
  /** The argv without its preamble (`sh -ec <program> <source> <executorArgs…>`): what the preamble runs once pip is done. */
  withoutPreamble: string[];
}

// kfp's `_install_python_packages_script_template`; before kfp 2.0.0 the pip check only tried apt-get.
const PREAMBLE_HEAD = /^\nif ! \[ -x "\$\(command -v pip\)" \]; then\n {4}(?:python3 -m ensurepip \|\| python3 -m ensurepip --user \|\| )?apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 /;
/** One `pip install` as kfp's `make_pip_install_command` writes it: options and single-quoted requirements. */
const INSTALL = String.raw`python3 -m pip install(?:[ \t]+(?:'[^'\n]*'|[^\s'"&|;$\x60\\]+))+`;
const PREAMBLE_BODY = new RegExp(String.raw`^${INSTALL}(?:[ \t]+&&[ \t]+${INSTALL})*[ \t]+&& "\$0" "\$@"\n$`);
// kfp's `_get_command_and_args_for_lightweight_component` (line breaks and padding vary by version).
const PROGRAM = /^program_path=\$\(mktemp -d\)\n\n?printf "%s" "\$0" > "\$program_path\/ephemeral_component\.py"\n\n?(_KFP_RUNTIME=true )?python3 -m (kfp\.dsl\.executor_main|kfp\.components\.executor_main)\s+--component_module_path\s+"\$program_path\/ephemeral_component\.py"\s+"\$@"\n$/;

/**
 * Recognises the resolved argv KFP's compiler emits for a lightweight Python component:
 * `sh -c <preamble: pip installs && "$0" "$@"> sh -ec <program> <source> <executorArgs…>`, or the
 * program alone (`install_kfp_package=False` without `packages_to_install`). Anything else (a
 * preamble with more in it, such as `use_venv`'s virtualenv, a pip option that could change where
 * packages go, a program that is not exactly kfp's) is undefined: such a launch runs as written.
 */
export function recognizeKfpLightweight(argv: string[]): KfpLightweightLaunch | undefined {
  let installs: string[][] = [];
  let rest = argv;
  if (argv[0] === 'sh' && argv[1] === '-c') {
    const preamble = argv[2] ?? '';
    const head = PREAMBLE_HEAD.exec(preamble);
    if (!head || !PREAMBLE_BODY.test(preamble.slice(head[0].length))) return undefined;
    const parsed = pipInstallsOf(argv);
    if (!parsed) return undefined;
    installs = parsed;
    rest = argv.slice(3);
  }
  if (rest[0] !== 'sh' || rest[1] !== '-ec' || rest.length < 4) return undefined;
  const program = PROGRAM.exec(rest[2]);
  if (!program) return undefined;
  return { installs, module: program[2], kfpRuntime: program[1] !== undefined, source: rest[3], executorArgs: rest.slice(4), withoutPreamble: rest };
}
