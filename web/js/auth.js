// Cognito user-pool sign-in with plain fetch (the service's JSON protocol): no SDK, tokens in sessionStorage.

import { config } from "./config.js";

const KEY = "svideo.session";
const listeners = new Set();

export class AuthError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Cognito's error codes, said the way a person would understand them.
const MESSAGES = {
  NotAuthorizedException: "The email or password is not right.",
  UserNotFoundException: "The email or password is not right.",
  UserNotConfirmedException: "This account is not confirmed yet: enter the code we sent you.",
  UsernameExistsException: "An account with this email already exists. Sign in instead.",
  InvalidPasswordException: "The password is too weak: use at least 8 characters with upper and lower case letters, a number and a symbol.",
  CodeMismatchException: "That code is not right. Check it and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  TooManyRequestsException: "Too many attempts. Wait a minute and try again.",
  LimitExceededException: "Too many attempts. Wait a minute and try again.",
  InvalidParameterException: "Some of the details are not valid.",
};

async function cognito(action, body) {
  const settings = await config();
  if (!settings.cognitoEndpoint || !settings.userPoolClientId) {
    throw new AuthError("NotConfigured", "Sign-in is not available: the user pool is not deployed yet.");
  }
  let response;
  try {
    response = await fetch(settings.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify({ ClientId: settings.userPoolClientId, ...body }),
    });
  } catch {
    throw new AuthError("Network", "We could not reach the sign-in service. Check your connection and try again.");
  }
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(payload.__type || payload.code || "Error").split("#").pop();
    throw new AuthError(code, MESSAGES[code] || payload.message || payload.Message || "Signing in failed. Try again.");
  }
  return payload;
}

function decode(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

function store(result, previous = {}) {
  const claims = decode(result.IdToken);
  const session = {
    idToken: result.IdToken,
    accessToken: result.AccessToken,
    refreshToken: result.RefreshToken || previous.refreshToken,
    expiresAt: (claims.exp ? claims.exp * 1000 : Date.now() + (result.ExpiresIn || 3600) * 1000),
    username: claims["cognito:username"] || claims.email || previous.username,
    email: claims.email || previous.email,
    sub: claims.sub,
    groups: parseGroups(claims["cognito:groups"]),
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  notify();
  return session;
}

function parseGroups(value) {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value.replace(/^\[|\]$/g, "").split(/[\s,]+/).filter(Boolean);
  return [];
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function hasGroup(group) {
  const current = session();
  return Boolean(current && (current.groups.includes(group) || current.groups.includes("admin")));
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  for (const listener of listeners) listener(session());
}

export async function signIn(email, password) {
  const payload = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (!payload.AuthenticationResult) {
    throw new AuthError(payload.ChallengeName || "Challenge",
      payload.ChallengeName === "NEW_PASSWORD_REQUIRED"
        ? "This account needs a new password before it can sign in. Ask an administrator to set one."
        : "This account needs an extra sign-in step that this app does not support yet.");
  }
  return store(payload.AuthenticationResult);
}

export async function signUp(email, password) {
  return cognito("SignUp", { Username: email, Password: password, UserAttributes: [{ Name: "email", Value: email }] });
}

export async function confirmSignUp(email, code) {
  return cognito("ConfirmSignUp", { Username: email, ConfirmationCode: code });
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  notify();
}

/** A valid ID token, refreshed when it is about to expire; null when the session is gone. */
export async function idToken() {
  const current = session();
  if (!current) return null;
  if (current.expiresAt - Date.now() > 60_000) return current.idToken;
  if (!current.refreshToken) {
    signOut();
    return null;
  }
  try {
    const payload = await cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: current.refreshToken },
    });
    return store(payload.AuthenticationResult, current).idToken;
  } catch {
    signOut();
    return null;
  }
}
