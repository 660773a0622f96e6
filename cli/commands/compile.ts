import { writeFileSync } from 'node:fs';
import { println, type CliContext } from '../context';
import { UsageError } from '../exit-codes';
import { loadSdk } from '../optional-modules';
import { compilePipelineModule } from '../pipeline-module';

/**
 * `sluice compile FILE.ts [-o out.yaml]`: the SDK pipeline as PipelineSpec YAML, on stdout or in
 * a file, written by the SDK's `toYaml` so it reads like (and quotes like) KFP's compiler output.
 */
export function compileCommand(ctx: CliContext, file: string, opts: { output?: string }): void {
  const yaml = loadSdk().toYaml(compilePipelineModule(file));
  if (!opts.output) {
    ctx.stdout.write(yaml);
    return;
  }
  try {
    writeFileSync(opts.output, yaml);
  } catch (err) {
    throw new UsageError(`cannot write ${opts.output}: ${(err as Error).message}`, { cause: err });
  }
  println(ctx.stderr, `Wrote ${opts.output}`);
}
