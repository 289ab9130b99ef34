/**
 * A small evaluator of GitHub Actions expressions, enough for the workflow templates' job
 * conditions: the template tests and the request bench decide with it which events start a
 * pass, as GitHub would: ==, !=, &&, ||, !, parentheses, strings, property paths with `.*.`,
 * contains, startsWith, join. Semantics as GitHub documents them: missing properties are
 * null, string comparison ignores case, && and || return one of their operands.
 */
export function evaluate(expression: string, context: Record<string, unknown>): boolean {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[()!,]|[\w.*-]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const truthy = (v: unknown) =>
    v !== null && v !== undefined && v !== false && v !== "" && v !== 0;
  const path = (p: string): unknown => {
    let values: unknown[] = [context];
    let spread = false;
    for (const key of p.split(".")) {
      if (key === "*") {
        values = values.flatMap((v) => (Array.isArray(v) ? v : []));
        spread = true;
      } else
        values = values.map((v) =>
          v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined,
        );
    }
    return spread ? values : (values[0] ?? null);
  };
  const fn = (name: string, args: unknown[]): unknown => {
    const s = (v: unknown) => (v === null || v === undefined ? "" : String(v)).toLowerCase();
    if (name === "contains")
      return Array.isArray(args[0])
        ? args[0].some((x) => s(x) === s(args[1]))
        : s(args[0]).includes(s(args[1]));
    if (name === "startsWith") return s(args[0]).startsWith(s(args[1]));
    if (name === "join")
      return Array.isArray(args[0]) ? args[0].join(String(args[1] ?? ",")) : s(args[0]);
    throw new Error(`unknown function ${name}`);
  };
  const primary = (): unknown => {
    const t = next();
    if (t === undefined) throw new Error("unexpected end");
    if (t === "(") {
      const v = or();
      next();
      return v;
    }
    if (t === "!") return !truthy(primary());
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === "true" || t === "false") return t === "true";
    if (peek() === "(") {
      next();
      const args: unknown[] = [];
      while (peek() !== ")") {
        args.push(or());
        if (peek() === ",") next();
      }
      next();
      return fn(t, args);
    }
    return path(t);
  };
  const comparison = (): unknown => {
    const left = primary();
    const op = peek();
    if (op !== "==" && op !== "!=") return left;
    next();
    const right = primary();
    const eq =
      typeof left === "string" && typeof right === "string"
        ? left.toLowerCase() === right.toLowerCase()
        : (left ?? null) === (right ?? null);
    return op === "==" ? eq : !eq;
  };
  const and = (): unknown => {
    let v = comparison();
    while (peek() === "&&") {
      next();
      const r = comparison();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  function or(): unknown {
    let v = and();
    while (peek() === "||") {
      next();
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  const result = or();
  if (i !== tokens.length) throw new Error(`unparsed: ${tokens.slice(i).join(" ")}`);
  return truthy(result);
}
