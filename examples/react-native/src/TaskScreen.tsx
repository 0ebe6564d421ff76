import { useTask, type UseTaskResult } from '@taskbridge/react';
import { Button, Text, View } from 'react-native';

/** Renders one task: status, connection, streamed text, and the approval a suspended task asks for. */
export function TaskView({ task }: { task: UseTaskResult }) {
  return (
    <View>
      <Text testID="status">{task.status}</Text>
      <Text testID="connection">{task.connection.status}</Text>
      <Text testID="transport">{task.connection.transport ?? 'none'}</Text>
      <Text testID="text">{task.text}</Text>
      <Text testID="events">{task.eventCount}</Text>
      {task.suspension && <Button title="Approve" onPress={() => void task.submitAction('approve')} />}
      {task.failure && <Text testID="failure">{task.failure.code}</Text>}
    </View>
  );
}

/** Starts a summary once (the same task across re-renders and app restarts) and follows it. */
export function SummaryScreen({ text }: { text: string }) {
  const task = useTask({ taskType: 'summarize', input: { text }, resumeKey: 'summary' });
  return <TaskView task={task} />;
}

/** Follows a task that is already running, e.g. one of `client.activeTasks()` after a restart. */
export function TaskScreen({ taskId }: { taskId: string }) {
  const task = useTask({ taskId });
  return <TaskView task={task} />;
}
