/**
 * The run tag the agent loop writes into its system prompt: `[conveyor:<correlation id>]`.
 * Its format belongs here, with its producer; readers (the fake Messages server keys its
 * scripts by it) import it from here.
 */
export const conveyorTag = (correlationId: string): string => `[conveyor:${correlationId}]`;

/** Finds a run tag in a text; group 1 is the correlation id. */
export const RUN_TAG = /\[conveyor:([^\]\s]+)\]/;
