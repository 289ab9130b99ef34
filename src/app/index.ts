/** The app function for `probot run` after a build (`probot run ./dist/app.js`); `npm start` uses `server.ts`. */
import { appFunctionFromEnv } from "./app-env.js";

export default appFunctionFromEnv(process.env);
