/** The console's painter, chosen once per console (per SSH session) and read by every component. */
import { createContext, useContext } from 'react'
import { painter, type Painter } from './paint.js'

export const PaintContext = createContext<Painter>(painter(false))

export function usePaint(): Painter {
  return useContext(PaintContext)
}
