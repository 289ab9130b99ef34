/**
 * Checks GraphQL requests against GitHub's published GraphQL schema
 * (`@octokit/graphql-schema`): the document parses and validates (fields, arguments,
 * fragments and variable types exist), and the variables sent coerce to the declared
 * types (a missing required input field or a wrong scalar is an error).
 *
 * The schema is built once per process (about a second).
 */
import { schema as github } from "@octokit/graphql-schema";
import {
  buildSchema,
  type GraphQLSchema,
  getVariableValues,
  type OperationDefinitionNode,
  parse,
  validate,
} from "graphql";

let built: GraphQLSchema | undefined;

export function githubGraphQLSchema(): GraphQLSchema {
  built ??= buildSchema(github.idl, { assumeValidSDL: true });
  return built;
}

/** Problems of one GraphQL request body (`{ query, variables }`); empty when it is valid. */
export function checkGraphQL(body: unknown): string[] {
  const { query, variables } = (body ?? {}) as { query?: unknown; variables?: unknown };
  if (typeof query !== "string") return ["POST /graphql: no query in the body"];
  let doc: ReturnType<typeof parse>;
  try {
    doc = parse(query);
  } catch (e: unknown) {
    return [`POST /graphql: ${(e as Error).message}`];
  }
  const schema = githubGraphQLSchema();
  const problems = validate(schema, doc).map((e) => `POST /graphql: ${e.message}`);
  if (problems.length > 0) return problems;
  for (const def of doc.definitions) {
    if (def.kind !== "OperationDefinition") continue;
    const op = def as OperationDefinitionNode;
    const coerced = getVariableValues(
      schema,
      op.variableDefinitions ?? [],
      (variables ?? {}) as Record<string, unknown>,
    );
    for (const e of coerced.errors ?? []) problems.push(`POST /graphql: ${e.message}`);
  }
  return problems;
}
