/** Something `conveyor run` did or noticed, for the terminal view and the logs. */
export interface LocalEvent {
  kind: "move" | "dispatch" | "cancel" | "merge" | "escalate" | "problem" | "error" | "info";
  task?: string;
  text: string;
}

export type EventSink = (event: LocalEvent) => void;
