// The questions `deployer init` asks, behind a small interface so tests can
// answer them. The real one imports @inquirer/prompts on first use (≈50 ms),
// so commands that never ask do not pay for it.

export interface InputQuestion {
  message: string;
  default?: string;
  /** An error message to show, or undefined when the answer is fine. */
  validate?: (value: string) => string | undefined;
}

export interface SelectQuestion<T extends string> {
  message: string;
  choices: { value: T; name: string }[];
  default?: T;
}

export interface Prompter {
  input(q: InputQuestion): Promise<string>;
  select<T extends string>(q: SelectQuestion<T>): Promise<T>;
}

export function createPrompter(): Prompter {
  return {
    async input(q) {
      const { input } = await import('@inquirer/prompts');
      const validate = q.validate;
      return input({ message: q.message, default: q.default, validate: validate ? (v: string) => validate(v) ?? true : undefined });
    },
    async select(q) {
      const { select } = await import('@inquirer/prompts');
      return select({ message: q.message, choices: q.choices, default: q.default });
    },
  };
}
