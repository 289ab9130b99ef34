/** Who may schedule work: the rules live in the core (the loader applies them too). */
export * from "../core/actor-permission.js";
