// Runtime configuration from config.json beside index.html (written at deploy time, never baked into the code).

let loaded = null;

/** `{apiUrl, webSocketUrl, region, userPoolId, userPoolClientId, cognitoEndpoint}`; missing values are null. */
export async function config() {
  if (!loaded) {
    loaded = fetch(new URL("config.json", document.baseURI), { cache: "no-store" })
      .then((response) => {
        if (!response.ok) throw new Error(`config.json answered ${response.status}`);
        return response.json();
      })
      .then((values) => ({
        apiUrl: trimSlash(values.apiUrl),
        webSocketUrl: values.webSocketUrl || null,
        region: values.region || "us-east-1",
        userPoolId: values.userPoolId || null,
        userPoolClientId: values.userPoolClientId || null,
        cognitoEndpoint: values.cognitoEndpoint || (values.region ? `https://cognito-idp.${values.region}.amazonaws.com/` : null),
      }))
      .catch((error) => {
        loaded = null;
        throw error;
      });
  }
  return loaded;
}

function trimSlash(url) {
  return url ? String(url).replace(/\/+$/, "") : null;
}
