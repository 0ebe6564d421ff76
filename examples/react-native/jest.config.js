/**
 * The React Native jest preset (a Node environment with React Native's modules mocked) plus what this
 * app's native libraries need: `react-native-sse` and AsyncStorage ship untranspiled ES modules.
 * `jest.setup.js` makes the globals look like React Native's.
 */
module.exports = {
  preset: '@react-native/jest-preset',
  setupFiles: ['./jest.setup.js'],
  transformIgnorePatterns: [
    'node_modules/(?!((jest-)?react-native|react-native-sse|@react-native(-community|-async-storage)?)/)',
  ],
  testTimeout: 30_000,
};
