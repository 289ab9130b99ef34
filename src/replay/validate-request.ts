/**
 * The checks the real Messages API makes that a scripted server would otherwise miss:
 * a first user turn, and every `tool_use` answered by a `tool_result` in the very next user
 * turn (the API answers 400 otherwise). Returns the API's kind of message, or undefined.
 */
export function validateMessagesRequest(body: unknown): string | undefined {
  const b = body as { model?: unknown; max_tokens?: unknown; messages?: unknown };
  if (typeof b?.model !== "string") return "model: Field required";
  if (typeof b.max_tokens !== "number") return "max_tokens: Field required";
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return "messages: at least one message is required";
  const messages = b.messages as { role?: unknown; content?: unknown }[];
  if (messages[0]?.role !== "user") return 'messages: first message must use the "user" role';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const blocks = Array.isArray(m.content)
      ? (m.content as { type?: string; id?: string; tool_use_id?: string }[])
      : [];
    const uses = blocks.filter((c) => c.type === "tool_use").map((c) => c.id);
    if (m.role === "assistant" && uses.length > 0) {
      const next = messages[i + 1];
      if (!next) continue; // the last turn (pause_turn continuation) may end with tool use
      const answers = Array.isArray(next.content)
        ? (next.content as { type?: string; tool_use_id?: string }[])
            .filter((c) => c.type === "tool_result")
            .map((c) => c.tool_use_id)
        : [];
      const missing = uses.filter((id) => !answers.includes(id));
      if (next.role !== "user" || missing.length > 0)
        return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
    if (m.role === "user") {
      const prev = messages[i - 1];
      const prevUses =
        prev && Array.isArray(prev.content)
          ? (prev.content as { type?: string; id?: string }[])
              .filter((c) => c.type === "tool_use")
              .map((c) => c.id)
          : [];
      for (const c of blocks)
        if (c.type === "tool_result" && !prevUses.includes(c.tool_use_id))
          return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${c.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
  }
  return undefined;
}
