/**
 * The jest environment is Node plus React Native's mocks; this file makes its globals match what a
 * React Native app has, so the client takes the code paths it takes on a device:
 * - `WebSocket` whose third argument takes `{ headers }`: React Native's does, and so does `ws`;
 * - `XMLHttpRequest` whose `responseText` grows while the response streams (readyState 3 on every
 *   chunk), as React Native's native XHR does: `react-native-sse` reads SSE through it;
 * - no `EventSource`, `indexedDB`, `localStorage`, `sessionStorage`, `BroadcastChannel` or `document`:
 *   React Native has none of them (Node may have some, depending on its version);
 * - `fetch` stays Node's (React Native has one; the client polls with it, without a streaming body).
 * AsyncStorage and NetInfo use their libraries' official jest mocks; `AppState` is React Native's mock.
 */
const { WebSocket } = require('ws');
const { XMLHttpRequest } = require('xmlhttprequest');

Object.assign(XMLHttpRequest, { UNSENT: 0, OPENED: 1, HEADERS_RECEIVED: 2, LOADING: 3, DONE: 4 });
global.WebSocket = WebSocket;
global.XMLHttpRequest = XMLHttpRequest;
for (const name of ['EventSource', 'indexedDB', 'localStorage', 'sessionStorage', 'BroadcastChannel', 'document']) {
  delete global[name];
}

jest.mock('@react-native-async-storage/async-storage', () =>
  require('@react-native-async-storage/async-storage/jest'),
);
jest.mock('@react-native-community/netinfo', () =>
  require('@react-native-community/netinfo/jest/netinfo-mock.js'),
);
