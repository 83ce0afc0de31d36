import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { ERROR_NAMES } from '../../../functions/domain/errors';
import {
  readDefinitionText,
  substitutedDefinition,
  TASK_SUBSTITUTIONS,
  type WorkflowName,
} from '../../../workflows/definitions';

// asl-validator 4 is CommonJS without type declarations, and mutates its input.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';
const arns = Object.fromEntries(Object.keys(TASK_SUBSTITUTIONS).map((t) => [t, LAMBDA_ARN])) as never;

type State = {
  Type: string;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[] }[];
  Resource?: string;
};

describe.each<WorkflowName>(['scaleUp', 'scaleDown', 'edgeRollout'])('definition file of %s', (workflow) => {
  const definition = substitutedDefinition(workflow, arns) as { States: Record<string, State>; QueryLanguage?: string };
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

  it('passes the ASL validator', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is JSONPath (aws-local-stepfunctions ignores JSONata) and uses only the known substitutions', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    const placeholders = [...readDefinitionText(workflow).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]);
    expect(Object.values(TASK_SUBSTITUTIONS)).toEqual(expect.arrayContaining([...new Set(placeholders)]));
  });

  it('retries transient errors on every task with exponential backoff and full jitter', () => {
    for (const [name, state] of tasks) {
      const retry = state.Retry?.find((r) => r.ErrorEquals.includes(ERROR_NAMES.transient));
      expect({ name, backoff: retry?.BackoffRate, jitter: retry?.JitterStrategy }).toEqual({
        name,
        backoff: 2,
        jitter: 'FULL',
      });
      expect(retry!.ErrorEquals).toEqual(
        expect.arrayContaining(['Lambda.TooManyRequestsException', 'Lambda.ServiceException']),
      );
    }
  });

  it('catches every failure of every task, so that no execution ends holding the lock', () => {
    for (const [name, state] of tasks) {
      expect({ name, catchesAll: state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')) }).toEqual({
        name,
        catchesAll: true,
      });
    }
  });

  it('uses no Assign variables (not supported locally) and only Wait states to wait', () => {
    const text = readDefinitionText(workflow);
    expect(text).not.toContain('"Assign"');
    for (const [, state] of Object.entries(definition.States))
      expect(['Task', 'Choice', 'Wait', 'Pass', 'Succeed', 'Fail']).toContain(state.Type);
  });
});
