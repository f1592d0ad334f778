// Answers `deployer init`'s questions from a script: "" takes the question's
// default, an Error is thrown (Ctrl-C), and every question asked is recorded.
import type { InputQuestion, Prompter, SelectQuestion } from '../../src/init/prompter.js';

export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];
  constructor(private readonly answers: Array<string | Error>) {}
  async input(q: InputQuestion): Promise<string> {
    this.asked.push(q.message);
    const a = this.next();
    const answer = a === '' && q.default !== undefined ? q.default : a;
    const problem = q.validate?.(answer);
    if (problem) throw new Error(`validation failed for ${q.message}: ${problem}`);
    return answer;
  }
  async select<T extends string>(q: SelectQuestion<T>): Promise<T> {
    this.asked.push(q.message);
    const a = this.next();
    return (a === '' ? (q.default ?? q.choices[0].value) : a) as T;
  }
  private next(): string {
    const a = this.answers.shift();
    if (a instanceof Error) throw a;
    if (a === undefined) throw new Error('asked more questions than scripted');
    return a;
  }
}
