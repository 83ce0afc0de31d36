/**
 * Applies a DynamoDB UpdateItem to an in-memory item, for unit tests whose table is a Map: the
 * part of the UpdateExpression grammar the adapters use (SET `a = :v`, `a = if_not_exists(a, :v)`,
 * `a = a + :v`; REMOVE; ADD of a number). Conditions are not evaluated.
 */
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

export function applyUpdateExpression(item: Item | undefined, input: UpdateCommandInput): Item {
  const names = input.ExpressionAttributeNames ?? {};
  const values = (input.ExpressionAttributeValues ?? {}) as Item;
  const name = (token: string) => names[token.trim()] ?? token.trim();
  const next: Item = { ...(input.Key as Item), ...item };
  const clauses = (input.UpdateExpression ?? '').split(/\b(?=SET |REMOVE |ADD )/);
  for (const clause of clauses) {
    const [keyword, ...rest] = clause.trim().split(' ');
    const body = rest.join(' ');
    if (keyword === 'SET') {
      for (const assignment of splitTopLevel(body)) {
        const [target, operand] = assignment.split(/=(.*)/s).map((part) => part!.trim());
        next[name(target!)] = evaluate(operand!, next, name, values);
      }
    } else if (keyword === 'REMOVE') {
      for (const target of body.split(',')) delete next[name(target)];
    } else if (keyword === 'ADD') {
      for (const addition of splitTopLevel(body)) {
        const [target, value] = addition.trim().split(/\s+/);
        next[name(target!)] = ((next[name(target!)] as number | undefined) ?? 0) + (values[value!] as number);
      }
    }
  }
  return next;
}

function evaluate(operand: string, item: Item, name: (token: string) => string, values: Item): unknown {
  const ifNotExists = /^if_not_exists\(\s*([^,]+),\s*([^)]+)\)$/.exec(operand);
  if (ifNotExists) return item[name(ifNotExists[1]!)] ?? values[ifNotExists[2]!.trim()];
  const sum = /^(\S+)\s*\+\s*(\S+)$/.exec(operand);
  if (sum) return (item[name(sum[1]!)] as number) + (values[sum[2]!] as number);
  return values[operand];
}

/** Splits on the commas that are not inside parentheses. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of list) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) parts.push(current);
  return parts;
}
